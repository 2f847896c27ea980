import { z } from 'zod';

// What a multipart body may hold, derived from the JSON body's own schema, so the two forms of a
// submit cannot drift: which fields may be file parts, how a text part becomes the JSON value the
// schema expects, and the OpenAPI description of the form.

/** A JSON Schema fragment, as zod writes one for a single field. */
type JsonSchema = Record<string, unknown>;

export interface FormFields {
  /** Field name -> the JSON types its schema accepts ('string', 'integer', 'number', 'boolean', 'null'). */
  types: ReadonlyMap<string, ReadonlySet<string>>;
  /** Fields that may arrive as file parts (the image fields): their bytes become base64 text. */
  fileFields: ReadonlySet<string>;
  /** The OpenAPI schema of the multipart/form-data body. */
  documentSchema: JsonSchema;
}

const described = new WeakMap<z.ZodObject, FormFields>();

/** The form of a JSON body schema whose image fields are `imageFields` (described once per schema). */
export function formFieldsOf(schema: z.ZodObject, imageFields: readonly string[]): FormFields {
  const known = described.get(schema);
  if (known) return known;
  const types = new Map<string, ReadonlySet<string>>();
  const properties: Record<string, JsonSchema> = {};
  const fileFields = new Set<string>();
  for (const [name, field] of Object.entries(schema.shape)) {
    const { $schema: _dialect, ...fieldSchema } = z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    types.set(name, typesOf(fieldSchema));
    const isImage = imageFields.includes(name);
    if (isImage) fileFields.add(name);
    properties[name] = isImage ? imagePartSchema(fieldSchema) : withoutNull(fieldSchema);
  }
  const required = Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).safeParse(undefined).success)
    .map(([name]) => name);
  const fields: FormFields = {
    types,
    fileFields,
    documentSchema: {
      type: 'object',
      description:
        'The same fields as the JSON body, one part each. Image fields may be file parts (the image bytes; the part\'s own ' +
        'Content-Type and filename are not read) or text in any of the JSON forms; every other field is a text part, ' +
        'read as the type its JSON field has (an empty part means null, which for continue-edit drops an inherited field). ' +
        'A field sent twice, a file part for a text field, or a part over its limit is refused naming the part.',
      properties,
      required,
      additionalProperties: false,
      // Rules between fields the JSON body's schema states (a reference needs the image to edit) hold for the form too.
      ...rulesBetweenFields(schema),
    },
  };
  described.set(schema, fields);
  return fields;
}

function rulesBetweenFields(schema: z.ZodObject): { allOf?: unknown[] } {
  const allOf: unknown = schema.meta()?.['allOf'];
  return Array.isArray(allOf) && allOf.length > 0 ? { allOf } : {};
}

/**
 * A text part as the JSON value its field's schema expects. A value that fits none of the types
 * stays text, so the schema refuses it with the same message a JSON body would get.
 */
export function valueOfTextPart(text: string, types: ReadonlySet<string> | undefined): unknown {
  if (!types) return text;
  if (text === '' && types.has('null')) return null;
  if ((types.has('integer') || types.has('number')) && NUMBER_LITERAL.test(text)) return Number(text);
  if (types.has('boolean')) {
    const lower = text.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return text;
}

/** JSON's number syntax (with an optional sign), so '0x10', ' 5' or 'Infinity' stay text and are refused. */
const NUMBER_LITERAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function typesOf(schema: JsonSchema): Set<string> {
  const found = new Set<string>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const record = node as JsonSchema;
    const type = record['type'];
    if (typeof type === 'string') found.add(type);
    if (Array.isArray(type)) for (const item of type) if (typeof item === 'string') found.add(item);
    if ('enum' in record && Array.isArray(record['enum'])) for (const value of record['enum']) found.add(value === null ? 'null' : typeof value);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const branches = record[key];
      if (Array.isArray(branches)) branches.forEach(visit);
    }
  };
  visit(schema);
  return found;
}

/** A form cannot send JSON's null as such (an empty part stands for it), so the document leaves it out. */
function withoutNull(schema: JsonSchema): JsonSchema {
  const type = schema['type'];
  if (Array.isArray(type)) {
    const kept = type.filter((item) => item !== 'null');
    return { ...schema, type: kept.length === 1 ? kept[0] : kept };
  }
  const branches = schema['anyOf'];
  if (!Array.isArray(branches)) return schema;
  const kept = branches.filter((branch) => !(branch !== null && typeof branch === 'object' && (branch as JsonSchema)['type'] === 'null'));
  const { anyOf: _branches, ...rest } = schema;
  if (kept.length === 1) return { ...rest, ...(kept[0] as JsonSchema) };
  return { ...rest, anyOf: kept };
}

function imagePartSchema(schema: JsonSchema): JsonSchema {
  const description = typeof schema['description'] === 'string' ? schema['description'] : '';
  return {
    description: `${description} As a form: a file part holding the image bytes, or a text part in any of those forms.`,
    anyOf: [{ type: 'string', contentMediaType: 'application/octet-stream' }, withoutNull(schema)],
  };
}
