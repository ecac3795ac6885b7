import protobuf from "protobufjs";

/**
 * The subset of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) this plugin reads
 * and writes, loaded through protobufjs reflection. Field numbers are the ONNX spec's; fields we never
 * use are left out, so decoding a foreign model drops them: only inspect decoded models, and edit a
 * foreign model at the wire level (see zipmap-rewrite.ts) so that nothing is lost.
 */
const onnxJson: protobuf.INamespace = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: "int64", id: 1 },
            producerName: { type: "string", id: 2 },
            producerVersion: { type: "string", id: 3 },
            domain: { type: "string", id: 4 },
            modelVersion: { type: "int64", id: 5 },
            docString: { type: "string", id: 6 },
            graph: { type: "GraphProto", id: 7 },
            opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 },
          },
        },
        OperatorSetIdProto: {
          fields: {
            domain: { type: "string", id: 1 },
            version: { type: "int64", id: 2 },
          },
        },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            docString: { type: "string", id: 10 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
            output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
            valueInfo: { rule: "repeated", type: "ValueInfoProto", id: 13 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 },
            output: { rule: "repeated", type: "string", id: 2 },
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
            docString: { type: "string", id: 6 },
            domain: { type: "string", id: 7 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 },
            floats: { rule: "repeated", type: "float", id: 7 },
            ints: { rule: "repeated", type: "int64", id: 8 },
            strings: { rule: "repeated", type: "bytes", id: 9 },
            type: { type: "int32", id: 20 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1 },
            dataType: { type: "int32", id: 2 },
            floatData: { rule: "repeated", type: "float", id: 4 },
            int32Data: { rule: "repeated", type: "int32", id: 5 },
            int64Data: { rule: "repeated", type: "int64", id: 7 },
            name: { type: "string", id: 8 },
            rawData: { type: "bytes", id: 9 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: "string", id: 1 },
            type: { type: "TypeProto", id: 2 },
            docString: { type: "string", id: 3 },
          },
        },
        TypeProto: {
          fields: {
            tensorType: { type: "TypeProtoTensor", id: 1 },
            sequenceType: { type: "TypeProtoSequence", id: 4 },
            mapType: { type: "TypeProtoMap", id: 5 },
          },
        },
        TypeProtoTensor: {
          fields: {
            elemType: { type: "int32", id: 1 },
            shape: { type: "TensorShapeProto", id: 2 },
          },
        },
        TypeProtoSequence: {
          fields: { elemType: { type: "TypeProto", id: 1 } },
        },
        TypeProtoMap: {
          fields: {
            keyType: { type: "int32", id: 1 },
            valueType: { type: "TypeProto", id: 2 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } },
        },
        Dimension: {
          fields: {
            dimValue: { type: "int64", id: 1 },
            dimParam: { type: "string", id: 2 },
          },
        },
      },
    },
  },
};

/** TensorProto.DataType values used here (onnx.proto). */
export const OnnxDataType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  DOUBLE: 11,
} as const;

/** AttributeProto.AttributeType values used here (onnx.proto). */
export const OnnxAttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/** Plain-object shapes of the messages above (int64 fields accept numbers when encoding). */
export interface OnnxDimension {
  dimValue?: number | Long;
  dimParam?: string;
}
export interface OnnxTypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: OnnxDimension[] } };
  sequenceType?: { elemType?: OnnxTypeProto };
  mapType?: { keyType?: number; valueType?: OnnxTypeProto };
}
export interface OnnxValueInfo {
  name?: string;
  type?: OnnxTypeProto;
}
export interface OnnxAttribute {
  name?: string;
  type?: number;
  f?: number;
  i?: number | Long;
  s?: Uint8Array;
  floats?: number[];
  ints?: (number | Long)[];
  strings?: Uint8Array[];
}
export interface OnnxNode {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: OnnxAttribute[];
}
export interface OnnxTensor {
  name?: string;
  dims?: (number | Long)[];
  dataType?: number;
  floatData?: number[];
  int64Data?: (number | Long)[];
  rawData?: Uint8Array;
}
export interface OnnxGraph {
  name?: string;
  node?: OnnxNode[];
  initializer?: OnnxTensor[];
  input?: OnnxValueInfo[];
  output?: OnnxValueInfo[];
}
export interface OnnxModel {
  irVersion?: number | Long;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  graph?: OnnxGraph;
  opsetImport?: { domain?: string; version?: number | Long }[];
}

/** protobufjs' 64-bit integer representation (present when the `long` package is installed). */
export interface Long {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
}

const root = protobuf.Root.fromJSON(onnxJson);
const modelType = root.lookupType("onnx.ModelProto");

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const problem = modelType.verify(model);
  if (problem !== null) throw new TypeError(`ONNX model object is malformed: ${problem}`);
  return modelType.encode(modelType.fromObject(model as Record<string, unknown>)).finish();
}

/**
 * Decodes the fields of the subset; int64s come back as numbers, so shapes and attributes compare
 * simply. Throws protobufjs' error on bytes that are not a protobuf message.
 */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const message = modelType.decode(bytes);
  return modelType.toObject(message, { longs: Number, bytes: Uint8Array, defaults: false, arrays: true }) as OnnxModel;
}

/** A number from a decoded or user-supplied int64 field. */
export function int64ToNumber(value: number | Long | undefined): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === "number" ? value : value.toNumber();
}
