import type { SpecKey } from '@fstool/fs';
import type { DriverRegistry } from 'fstool';

type Schema = Record<string, unknown>;
type Properties = Record<string, Schema>;

/** One declared key as JSON Schema; a size is a number of bytes or a string in the spec's size syntax. */
function keySchema(driver: string, key: SpecKey, sizePattern: string): Schema {
  const bounds = {
    ...(key.min !== undefined ? { minimum: key.min } : {}),
    ...(key.max !== undefined ? { maximum: key.max } : {}),
  };
  let base: Schema;
  if (key.enum !== undefined) base = { enum: [...key.enum] };
  else if (key.type === 'size')
    base = {
      anyOf: [
        { type: 'integer', ...bounds },
        { type: 'string', pattern: sizePattern },
      ],
    };
  else base = { type: key.type, ...(key.type === 'integer' || key.type === 'number' ? bounds : {}) };
  return {
    ...base,
    ...(key.default !== undefined ? { default: key.default } : {}),
    description: `${driver} only${key.description ? `: ${key.description}` : ''}`,
  };
}

/**
 * The spec schema with the loaded plugins' own keys added to both filesystem tables. The schema
 * cannot tie a key to a type (a filesystem table allows no other keys), so each says whose it is.
 */
export function withPluginKeys(text: string, registry: DriverRegistry): string {
  const schema = JSON.parse(text) as { properties: Properties };
  const props = schema.properties;
  const bare = (props.filesystem as { properties: Properties }).properties;
  const inPartition = ((props.partitions as { items: Schema }).items as { properties: Properties }).properties;
  const fs = (inPartition.filesystem as { properties: Properties }).properties;
  const alignment = (props.image as { properties: Properties }).properties.alignment as { anyOf: Schema[] };
  const sizePattern = alignment.anyOf.find((s) => s.type === 'string')?.pattern as string;
  for (const type of registry.types()) {
    const driver = registry.get(type);
    if (driver.type !== type || !driver.specKeys) continue;
    for (const [name, key] of Object.entries(driver.specKeys)) {
      bare[name] = fs[name] = keySchema(driver.type, key, sizePattern);
    }
  }
  return `${JSON.stringify(schema, null, 2)}\n`;
}
