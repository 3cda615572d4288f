/**
 * The shape of a @kubernetes/client-node model class as plain data. Those classes carry no
 * behaviour (the serializer reads a static attribute map by type name), so a plain object of
 * this shape is exactly what gets sent to the apiserver.
 */
export type PlainModel<T> = T extends Date ? T : T extends object ? { [K in keyof T]: PlainModel<T[K]> } : T;

/**
 * Types a plain object literal as the client-node model class `T`, fully type-checked against
 * the class's fields. It exists because the lint rule no-unsafe-class-instance-assignment
 * (rightly, in general) rejects object literals where a class instance is expected.
 */
export function model<T>(plain: PlainModel<T>): T {
  return plain as unknown as T;
}
