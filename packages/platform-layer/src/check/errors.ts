/**
 * The storage check's own failure: something the user can act on (no space, unwritable directory), told
 * in one sentence. The CLI prints the message and exits with status 1.
 *
 * @internal
 */
import * as Data from "effect/Data"

/** @internal */
export class CheckError extends Data.TaggedError("CheckError")<{ readonly message: string }> {}
