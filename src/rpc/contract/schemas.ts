/** Schema fragments the RPC APIs share. */
import { Type, type TSchema } from 'typebox';

/** A string that must not be empty (ids, host names, device names). */
export const Text = Type.String({ minLength: 1 });

/** `T` or JSON null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** An argument a Neutron client may leave out or send as None (oslo sends `host=None`). */
export const MaybeString = Type.Optional(Nullable(Type.String()));

/** A JSON object whose keys we do not constrain (filters, configurations). */
export const JsonObject = Type.Record(Type.String(), Type.Unknown());

/** For casts and fanouts, and calls that answer nothing: JSON null. */
export const NoResult = Type.Null();

/** An API object the receiver knows by its id; its other attributes pass along unchecked. */
export const WithId = Type.Object({ id: Text });
