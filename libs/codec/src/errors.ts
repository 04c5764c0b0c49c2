/** Why a message could not be decoded; the reason goes into the dead letter's headers. */
export type CodecErrorReason = "not-avro" | "unknown-schema" | "incompatible-schema" | "malformed" | "invalid-value";

export class CodecError extends Error {
  constructor(
    readonly reason: CodecErrorReason,
    message: string,
  ) {
    super(`${reason}: ${message}`);
    this.name = "CodecError";
  }
}
