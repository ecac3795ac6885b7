export { upload, type UploadOptions, type UploadResult } from "./upload.js";
export { download, type DownloadOptions, type DownloadResult } from "./download.js";
export { requestUploadUrl, parseSignedUrl } from "./signed-url.js";
export { assertSafePath, safeRelativePath, storageUrl, unsafeReason } from "./safe-path.js";
export { contentTypeFor } from "./content-type.js";
export { isStaleUrlAnswer } from "./error-mapping.js";
export { StorageError, type StorageErrorCode, type StorageErrorDetails } from "./storage-error.js";
