import protobuf from "protobufjs";

/**
 * skl2onnx's default export ends in a ZipMap (ai.onnx.ml) that turns the probabilities tensor into a
 * seq(map(int64, float)), which onnxruntime-node cannot return ("Non tensor type is temporarily not
 * supported"). This rewrite drops every ZipMap node and makes its input tensor the graph output in
 * its place. It edits the protobuf wire format: every other field of ModelProto and GraphProto is
 * copied byte for byte, so fields this plugin's schema does not know (metadata, functions, training
 * info, external data) survive.
 */
export interface ZipMapRewrite {
  bytes: Uint8Array;
  /** The outputs replaced: ZipMap output name -> the probabilities tensor now output instead. */
  replaced: { from: string; to: string }[];
}

// Field numbers from onnx.proto.
const modelGraphField = 7;
const graphNodeField = 1;
const graphOutputField = 12;
const graphValueInfoField = 13;
const nodeInputField = 1;
const nodeOutputField = 2;
const nodeOpTypeField = 4;
const nodeAttributeField = 5;
const nodeDomainField = 7;
const attributeNameField = 1;
const attributeIntsField = 8;
const attributeStringsField = 9;
const valueInfoNameField = 1;
const lengthDelimited = 2;

interface Field {
  number: number;
  wireType: number;
  /** The whole field, tag included, to copy unchanged. */
  raw: Uint8Array;
  /** The payload of a length-delimited field. */
  payload: Uint8Array | undefined;
}

export function removeZipMap(model: Uint8Array): ZipMapRewrite {
  const replaced: { from: string; to: string }[] = [];
  const parts: Uint8Array[] = [];
  for (const field of readFields(model)) {
    if (field.number === modelGraphField && field.payload !== undefined) {
      const graph = rewriteGraph(field.payload, replaced);
      parts.push(graph === field.payload ? field.raw : lengthDelimitedField(modelGraphField, graph));
    } else {
      parts.push(field.raw);
    }
  }
  if (replaced.length === 0) return { bytes: model, replaced };
  return { bytes: concat(parts), replaced };
}

function rewriteGraph(graph: Uint8Array, replaced: { from: string; to: string }[]): Uint8Array {
  const fields = readFields(graph);
  const zipMaps = new Map<string, { input: string; levels: number }>();
  for (const field of fields) {
    if (field.number !== graphNodeField || field.payload === undefined) continue;
    const node = readNode(field.payload);
    if (node.opType === "ZipMap" && node.domain === "ai.onnx.ml" && node.input.length === 1) {
      for (const output of node.output) zipMaps.set(output, { input: node.input[0]!, levels: node.levels });
    }
  }
  if (zipMaps.size === 0) return graph;

  const outputsKept = new Set<string>();
  for (const field of fields) {
    if (field.number === graphOutputField && field.payload !== undefined) {
      const name = readName(field.payload);
      if (!zipMaps.has(name)) outputsKept.add(name);
    }
  }
  const parts: Uint8Array[] = [];
  for (const field of fields) {
    if (field.payload !== undefined && field.number === graphNodeField) {
      const node = readNode(field.payload);
      if (node.opType === "ZipMap" && node.output.some((output) => zipMaps.has(output))) continue;
    }
    if (field.payload !== undefined && field.number === graphValueInfoField) {
      // A value info for a removed ZipMap output would describe a value nothing produces.
      if (zipMaps.has(readName(field.payload))) continue;
    }
    if (field.payload !== undefined && field.number === graphOutputField) {
      const name = readName(field.payload);
      const zip = zipMaps.get(name);
      if (zip !== undefined) {
        replaced.push({ from: name, to: zip.input });
        if (!outputsKept.has(zip.input)) {
          outputsKept.add(zip.input);
          parts.push(lengthDelimitedField(graphOutputField, probabilitiesValueInfo(zip.input, zip.levels)));
        }
        continue;
      }
    }
    parts.push(field.raw);
  }
  return concat(parts);
}

/** ValueInfoProto of a float tensor [N, levels] (levels unknown: [N, ?]). */
function probabilitiesValueInfo(name: string, levels: number): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((valueInfoNameField << 3) | lengthDelimited).string(name);
  // TypeProto { tensor_type (1): { elem_type (1) = FLOAT, shape (2): { dim (1): [N], [levels] } } }
  const dimN = protobuf.Writer.create().uint32((2 << 3) | lengthDelimited).string("N").finish();
  const dimLevels =
    levels > 0 ? protobuf.Writer.create().uint32(1 << 3).int64(levels).finish() : new Uint8Array(0);
  const shape = protobuf.Writer.create();
  shape.uint32((1 << 3) | lengthDelimited).bytes(dimN);
  shape.uint32((1 << 3) | lengthDelimited).bytes(dimLevels);
  const tensor = protobuf.Writer.create();
  tensor.uint32(1 << 3).int32(1);
  tensor.uint32((2 << 3) | lengthDelimited).bytes(shape.finish());
  const type = protobuf.Writer.create().uint32((1 << 3) | lengthDelimited).bytes(tensor.finish()).finish();
  w.uint32((2 << 3) | lengthDelimited).bytes(type);
  return w.finish();
}

interface NodeSummary {
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  /** The number of class labels of a ZipMap (classlabels_int64s or classlabels_strings). */
  levels: number;
}

function readNode(bytes: Uint8Array): NodeSummary {
  const node: NodeSummary = { opType: "", domain: "", input: [], output: [], levels: 0 };
  const attributes: Uint8Array[] = [];
  for (const field of readFields(bytes)) {
    if (field.payload === undefined) continue;
    if (field.number === nodeInputField) node.input.push(utf8(field.payload));
    else if (field.number === nodeOutputField) node.output.push(utf8(field.payload));
    else if (field.number === nodeOpTypeField) node.opType = utf8(field.payload);
    else if (field.number === nodeDomainField) node.domain = utf8(field.payload);
    else if (field.number === nodeAttributeField) attributes.push(field.payload);
  }
  // Only a ZipMap's attributes are read: a tree ensemble's node lists can hold millions of values.
  if (node.opType === "ZipMap") {
    for (const attribute of attributes) node.levels = Math.max(node.levels, classLabelCount(attribute));
  }
  return node;
}

function classLabelCount(attribute: Uint8Array): number {
  let name = "";
  let count = 0;
  for (const field of readFields(attribute)) {
    if (field.number === attributeNameField && field.payload !== undefined) name = utf8(field.payload);
    else if (field.number === attributeIntsField) {
      // Packed (one length-delimited field) or unpacked (one varint per value).
      if (field.payload !== undefined) {
        const reader = protobuf.Reader.create(field.payload);
        while (reader.pos < reader.len) {
          reader.int64();
          count++;
        }
      } else {
        count++;
      }
    } else if (field.number === attributeStringsField) count++;
  }
  return name.startsWith("classlabels") ? count : 0;
}

function readName(valueInfo: Uint8Array): string {
  for (const field of readFields(valueInfo)) {
    if (field.number === valueInfoNameField && field.payload !== undefined) return utf8(field.payload);
  }
  return "";
}

function readFields(bytes: Uint8Array): Field[] {
  const reader = protobuf.Reader.create(bytes);
  const fields: Field[] = [];
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const tag = reader.uint32();
    const wireType = tag & 7;
    let payload: Uint8Array | undefined;
    if (wireType === lengthDelimited) {
      const length = reader.uint32();
      const from = reader.pos;
      reader.skip(length);
      payload = bytes.subarray(from, from + length);
    } else {
      reader.skipType(wireType);
    }
    fields.push({ number: tag >>> 3, wireType, raw: bytes.subarray(start, reader.pos), payload });
  }
  return fields;
}

function lengthDelimitedField(number: number, payload: Uint8Array): Uint8Array {
  return protobuf.Writer.create()
    .uint32((number << 3) | lengthDelimited)
    .bytes(payload)
    .finish();
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const decoder = new TextDecoder();
function utf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}
