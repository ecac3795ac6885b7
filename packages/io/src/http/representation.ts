import type { IncomingHttpHeaders } from "node:http";
import { parseEncoding, type Encoding } from "./body-pump.js";
import { headerValue } from "./http-options.js";

// How a later response may continue a body: the checks that keep two versions from being mixed.

// What the first response said about the representation; later responses must match it.
export interface Representation {
  encoding: Encoding;
  etag: string | undefined;
  lastModified: string | undefined;
  length: number | undefined;
  acceptRanges: boolean;
}

export function contentLength(headers: IncomingHttpHeaders): number | undefined {
  const v = headerValue(headers, "content-length");
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

export function describe(headers: IncomingHttpHeaders): Omit<Representation, "encoding"> & { encoding: Encoding | undefined } {
  return {
    encoding: parseEncoding(headerValue(headers, "content-encoding")),
    etag: headerValue(headers, "etag"),
    lastModified: headerValue(headers, "last-modified"),
    length: contentLength(headers),
    acceptRanges: (headerValue(headers, "accept-ranges") ?? "").toLowerCase().includes("bytes"),
  };
}

// Resuming is only safe with a strong validator to send in If-Range: a weak ETag may not be used there.
export function canResume(rep: Representation): boolean {
  if (!rep.acceptRanges || rep.encoding !== "identity" || rep.length === undefined) return false;
  if (rep.etag !== undefined) return !rep.etag.startsWith("W/");
  return rep.lastModified !== undefined;
}

/** Why a 206 cannot continue the body at `offset`, or undefined when it can. */
export function checkPartial(headers: IncomingHttpHeaders, first: Representation, offset: number): string | undefined {
  if (parseEncoding(headerValue(headers, "content-encoding")) !== "identity") return "it is encoded";
  const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec((headerValue(headers, "content-range") ?? "").trim());
  if (!range) return "no valid Content-Range";
  const [, start, end, total] = range;
  if (Number(start) !== offset) return `it starts at byte ${start}, not ${offset}`;
  if (total !== String(first.length)) return `its total ${total} differs from ${first.length}`;
  if (Number(end) !== (first.length as number) - 1) return `it ends at byte ${end}, not at the end`;
  const etag = headerValue(headers, "etag");
  if (first.etag !== undefined && etag !== undefined && etag !== first.etag) return "its ETag differs";
  return undefined;
}

/** What differs between two full responses of what must be the same body, or undefined. */
export function sameRepresentation(first: Representation, next: Representation): string | undefined {
  if (next.encoding !== first.encoding) return undefined; // different bytes on the wire, same decoded body assumed
  const strip = (e: string): string => e.replace(/^W\//, "");
  if (first.etag !== undefined && next.etag !== undefined && strip(first.etag) !== strip(next.etag)) return "ETag differs";
  if (first.length !== undefined && next.length !== undefined && first.length !== next.length) {
    return `length ${next.length} instead of ${first.length}`;
  }
  if (first.etag === undefined && first.lastModified !== undefined && next.lastModified !== undefined && first.lastModified !== next.lastModified) {
    return "Last-Modified differs";
  }
  return undefined;
}
