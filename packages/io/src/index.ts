export * from "./http/index.js";
export * from "./dataset/index.js";
export * from "./writer/index.js";
