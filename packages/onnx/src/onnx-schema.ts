import protobuf from "protobufjs/light.js";

/**
 * The ONNX protobuf schema (onnx.proto, IR version 11) as a protobufjs reflection root. Fields are
 * declared in field-number order so that encoding follows the order the reference C++ serializer
 * uses, which keeps round trips of files written by PyTorch/onnx byte-identical when nothing changed.
 * Field names are camelCase (`rawData`, `opsetImport`), the protobufjs convention.
 */

type FieldRule = "repeated" | undefined;
interface FieldJson {
  type: string;
  id: number;
  rule?: FieldRule;
  options?: { packed: boolean };
}

function field(id: number, type: string, rule?: FieldRule, packed?: boolean): FieldJson {
  const result: FieldJson = { type, id };
  if (rule !== undefined) result.rule = rule;
  // proto2 repeated scalars are unpacked unless the .proto says otherwise; protobufjs would
  // otherwise pick its proto3 default (packed) and change the bytes of a round trip.
  if (rule === "repeated" && packed !== undefined) result.options = { packed };
  return result;
}

const r = "repeated";

const schemaJson = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: field(1, "string"),
            f: field(2, "float"),
            i: field(3, "int64"),
            s: field(4, "bytes"),
            t: field(5, "TensorProto"),
            g: field(6, "GraphProto"),
            floats: field(7, "float", r, false),
            ints: field(8, "int64", r, false),
            strings: field(9, "bytes", r),
            tensors: field(10, "TensorProto", r),
            graphs: field(11, "GraphProto", r),
            docString: field(13, "string"),
            tp: field(14, "TypeProto"),
            typeProtos: field(15, "TypeProto", r),
            type: field(20, "int32"),
            refAttrName: field(21, "string"),
            sparseTensor: field(22, "SparseTensorProto"),
            sparseTensors: field(23, "SparseTensorProto", r),
          },
        },
        ValueInfoProto: {
          fields: {
            name: field(1, "string"),
            type: field(2, "TypeProto"),
            docString: field(3, "string"),
            metadataProps: field(4, "StringStringEntryProto", r),
          },
        },
        NodeProto: {
          fields: {
            input: field(1, "string", r),
            output: field(2, "string", r),
            name: field(3, "string"),
            opType: field(4, "string"),
            attribute: field(5, "AttributeProto", r),
            docString: field(6, "string"),
            domain: field(7, "string"),
            overload: field(8, "string"),
            metadataProps: field(9, "StringStringEntryProto", r),
            deviceConfigurations: field(10, "NodeDeviceConfigurationProto", r),
          },
        },
        IntIntListEntryProto: {
          fields: { key: field(1, "int64"), value: field(2, "int64", r, false) },
        },
        SimpleShardedDimProto: {
          oneofs: { dim: { oneof: ["dimValue", "dimParam"] } },
          fields: { dimValue: field(1, "int64"), dimParam: field(2, "string"), numShards: field(3, "int64") },
        },
        ShardedDimProto: {
          fields: { axis: field(1, "int64"), simpleSharding: field(2, "SimpleShardedDimProto", r) },
        },
        ShardingSpecProto: {
          fields: {
            tensorName: field(1, "string"),
            device: field(2, "int64", r, false),
            indexToDeviceGroupMap: field(3, "IntIntListEntryProto", r),
            shardedDim: field(4, "ShardedDimProto", r),
          },
        },
        NodeDeviceConfigurationProto: {
          fields: {
            configurationId: field(1, "string"),
            shardingSpec: field(2, "ShardingSpecProto", r),
            pipelineStage: field(3, "int32"),
          },
        },
        DeviceConfigurationProto: {
          fields: { name: field(1, "string"), numDevices: field(2, "int32"), device: field(3, "string", r) },
        },
        TrainingInfoProto: {
          fields: {
            initialization: field(1, "GraphProto"),
            algorithm: field(2, "GraphProto"),
            initializationBinding: field(3, "StringStringEntryProto", r),
            updateBinding: field(4, "StringStringEntryProto", r),
          },
        },
        ModelProto: {
          fields: {
            irVersion: field(1, "int64"),
            producerName: field(2, "string"),
            producerVersion: field(3, "string"),
            domain: field(4, "string"),
            modelVersion: field(5, "int64"),
            docString: field(6, "string"),
            graph: field(7, "GraphProto"),
            opsetImport: field(8, "OperatorSetIdProto", r),
            metadataProps: field(14, "StringStringEntryProto", r),
            trainingInfo: field(20, "TrainingInfoProto", r),
            functions: field(25, "FunctionProto", r),
            configuration: field(26, "DeviceConfigurationProto", r),
          },
        },
        StringStringEntryProto: {
          fields: { key: field(1, "string"), value: field(2, "string") },
        },
        TensorAnnotation: {
          fields: {
            tensorName: field(1, "string"),
            quantParameterTensorNames: field(2, "StringStringEntryProto", r),
          },
        },
        GraphProto: {
          fields: {
            node: field(1, "NodeProto", r),
            name: field(2, "string"),
            initializer: field(5, "TensorProto", r),
            docString: field(10, "string"),
            input: field(11, "ValueInfoProto", r),
            output: field(12, "ValueInfoProto", r),
            valueInfo: field(13, "ValueInfoProto", r),
            quantizationAnnotation: field(14, "TensorAnnotation", r),
            sparseInitializer: field(15, "SparseTensorProto", r),
            metadataProps: field(16, "StringStringEntryProto", r),
          },
        },
        TensorProto: {
          fields: {
            dims: field(1, "int64", r, false),
            dataType: field(2, "int32"),
            segment: field(3, "Segment"),
            floatData: field(4, "float", r, true),
            int32Data: field(5, "int32", r, true),
            stringData: field(6, "bytes", r),
            int64Data: field(7, "int64", r, true),
            name: field(8, "string"),
            rawData: field(9, "bytes"),
            doubleData: field(10, "double", r, true),
            uint64Data: field(11, "uint64", r, true),
            docString: field(12, "string"),
            externalData: field(13, "StringStringEntryProto", r),
            dataLocation: field(14, "int32"),
            metadataProps: field(16, "StringStringEntryProto", r),
          },
          nested: {
            Segment: { fields: { begin: field(1, "int64"), end: field(2, "int64") } },
          },
        },
        SparseTensorProto: {
          fields: {
            values: field(1, "TensorProto"),
            indices: field(2, "TensorProto"),
            dims: field(3, "int64", r, false),
          },
        },
        TensorShapeProto: {
          fields: { dim: field(1, "Dimension", r) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ["dimValue", "dimParam"] } },
              fields: { dimValue: field(1, "int64"), dimParam: field(2, "string"), denotation: field(3, "string") },
            },
          },
        },
        TypeProto: {
          oneofs: {
            value: { oneof: ["tensorType", "sequenceType", "mapType", "sparseTensorType", "optionalType"] },
          },
          fields: {
            tensorType: field(1, "Tensor"),
            sequenceType: field(4, "Sequence"),
            mapType: field(5, "Map"),
            denotation: field(6, "string"),
            sparseTensorType: field(8, "SparseTensor"),
            optionalType: field(9, "Optional"),
          },
          nested: {
            Tensor: { fields: { elemType: field(1, "int32"), shape: field(2, "TensorShapeProto") } },
            Sequence: { fields: { elemType: field(1, "TypeProto") } },
            Map: { fields: { keyType: field(1, "int32"), valueType: field(2, "TypeProto") } },
            Optional: { fields: { elemType: field(1, "TypeProto") } },
            SparseTensor: { fields: { elemType: field(1, "int32"), shape: field(2, "TensorShapeProto") } },
          },
        },
        OperatorSetIdProto: {
          fields: { domain: field(1, "string"), version: field(2, "int64") },
        },
        FunctionProto: {
          fields: {
            name: field(1, "string"),
            input: field(4, "string", r),
            output: field(5, "string", r),
            attribute: field(6, "string", r),
            node: field(7, "NodeProto", r),
            docString: field(8, "string"),
            opsetImport: field(9, "OperatorSetIdProto", r),
            domain: field(10, "string"),
            attributeProto: field(11, "AttributeProto", r),
            valueInfo: field(12, "ValueInfoProto", r),
            overload: field(13, "string"),
            metadataProps: field(14, "StringStringEntryProto", r),
          },
        },
      },
    },
  },
};

let modelType: protobuf.Type | undefined;

/** Property under which a decoded message keeps the raw bytes of fields this schema does not know. */
export const UNKNOWN_FIELDS = "$unknownFields";

/** The reflected `onnx.ModelProto` type, built once on first use. */
export function getModelProtoType(): protobuf.Type {
  if (modelType === undefined) {
    const root = protobuf.Root.fromJSON(schemaJson as unknown as protobuf.INamespace);
    const types: protobuf.Type[] = [];
    const collect = (namespace: protobuf.NamespaceBase) => {
      for (const nested of namespace.nestedArray) {
        if (nested instanceof protobuf.Type) types.push(nested);
        if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type)
          collect(nested as protobuf.NamespaceBase);
      }
    };
    collect(root);
    for (const type of types) type.setup();
    for (const type of types) keepUnknownFields(type);
    modelType = root.lookupType("onnx.ModelProto");
  }
  return modelType;
}

type Message = Record<string, unknown>;
type RawWriter = protobuf.Writer & {
  _push(
    fn: (value: Uint8Array, buffer: Uint8Array, position: number) => void,
    length: number,
    value: Uint8Array,
  ): protobuf.Writer;
};

function writeRaw(value: Uint8Array, buffer: Uint8Array, position: number): void {
  buffer.set(value, position);
}

/**
 * protobufjs skips fields its schema does not know. These wrappers around each type's generated
 * decode/toObject/encode keep them: decode records the raw bytes (tag included) of every unknown
 * field in `$unknownFields`, toObject carries them over, and encode writes them back after the
 * known fields. Fields from newer ONNX versions therefore survive a read/write round trip
 * (as content; their position moves to the end of their message).
 */
function keepUnknownFields(type: protobuf.Type): void {
  const known = new Set(type.fieldsArray.map((f) => f.id));
  const decode = type.decode;
  const toObject = type.toObject;
  const encode = type.encode;
  type.decode = function decodeKeepingUnknown(
    this: protobuf.Type,
    input: protobuf.Reader | Uint8Array,
    length?: number,
  ) {
    const reader = input instanceof protobuf.Reader ? input : protobuf.Reader.create(input);
    const start = reader.pos;
    const end = length === undefined ? reader.len : reader.pos + length;
    const message = decode.call(type, reader, length) as unknown as Message;
    const unknown = scanUnknownFields(reader.buf, start, end, known);
    if (unknown.length > 0) message[UNKNOWN_FIELDS] = unknown;
    return message as unknown as protobuf.Message;
  } as typeof type.decode;
  type.toObject = function toObjectKeepingUnknown(message: protobuf.Message, options?: protobuf.IConversionOptions) {
    const object = toObject.call(type, message, options);
    const unknown = (message as unknown as Message)[UNKNOWN_FIELDS];
    if (unknown !== undefined) object[UNKNOWN_FIELDS] = unknown;
    return object;
  } as typeof type.toObject;
  type.encode = function encodeKeepingUnknown(message: protobuf.Message | Message, writer?: protobuf.Writer) {
    const out = encode.call(type, message, writer) as RawWriter;
    const unknown = (message as Message)[UNKNOWN_FIELDS];
    if (Array.isArray(unknown)) for (const chunk of unknown as Uint8Array[]) out._push(writeRaw, chunk.length, chunk);
    return out;
  } as typeof type.encode;
}

/** Raw bytes of the top-level fields in buf[start, end) whose numbers are not in `known`. */
function scanUnknownFields(buf: Uint8Array, start: number, end: number, known: Set<number>): Uint8Array[] {
  const unknown: Uint8Array[] = [];
  let pos = start;
  const varint = (): number => {
    let value = 0;
    let shift = 0;
    while (pos < end) {
      const byte = buf[pos++] as number;
      if (shift < 49) value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return value;
    }
    return Number.NaN;
  };
  while (pos < end) {
    const fieldStart = pos;
    const tag = varint();
    const wireType = tag % 8;
    const fieldNumber = Math.floor(tag / 8);
    if (wireType === 0) varint();
    else if (wireType === 1) pos += 8;
    else if (wireType === 2) {
      // Not `pos += varint()`: that would read `pos` before varint() advances it.
      const length = varint();
      pos += length;
    } else if (wireType === 5) pos += 4;
    else break; // groups (3/4) do not occur in ONNX; stop rather than guess
    if (!(pos <= end) || Number.isNaN(tag)) break;
    if (!known.has(fieldNumber)) unknown.push(buf.slice(fieldStart, pos));
  }
  return unknown;
}

// ---- Plain-object types of the decoded model (the subset of fields mc reads; all others are kept as-is). ----

export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto {
  domain?: string;
  version?: number;
}

export interface TensorProto {
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: number[];
  name?: string;
  rawData?: Uint8Array;
  doubleData?: number[];
  uint64Data?: number[];
  docString?: string;
  externalData?: StringStringEntryProto[];
  dataLocation?: number;
  [key: string]: unknown;
}

export interface AttributeProto {
  name?: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  type?: number;
  [key: string]: unknown;
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  attribute?: AttributeProto[];
  domain?: string;
  [key: string]: unknown;
}

export interface TensorShapeDimension {
  dimValue?: number;
  dimParam?: string;
}

export interface TypeProto {
  tensorType?: { elemType?: number; shape?: { dim?: TensorShapeDimension[] } };
  [key: string]: unknown;
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  docString?: string;
  [key: string]: unknown;
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  valueInfo?: ValueInfoProto[];
  sparseInitializer?: unknown[];
  [key: string]: unknown;
}

export interface FunctionProto {
  name?: string;
  node?: NodeProto[];
  opsetImport?: OperatorSetIdProto[];
  domain?: string;
  [key: string]: unknown;
}

/** A decoded ONNX model: the ModelProto as a plain object (camelCase field names). */
export interface OnnxModel {
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: GraphProto;
  opsetImport?: OperatorSetIdProto[];
  metadataProps?: StringStringEntryProto[];
  functions?: FunctionProto[];
  [key: string]: unknown;
}

/** ONNX `TensorProto.DataType` codes. */
export const OnnxDataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  UINT4: 21,
  INT4: 22,
} as const;

/** ONNX `AttributeProto.AttributeType` codes. */
export const OnnxAttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
} as const;
