import { RecordError } from "@dockwatch/errors";

/** Why a message could not be decoded; the reason goes into the dead letter's headers. */
export type CodecErrorReason = "not-avro" | "unknown-schema" | "incompatible-schema" | "malformed" | "invalid-value";

/** The bytes (or the value to encode) are bad: a RecordError whose code is the reason. */
export class CodecError extends RecordError {
  constructor(
    readonly reason: CodecErrorReason,
    message: string,
  ) {
    super(reason, `${reason}: ${message}`);
  }
}
