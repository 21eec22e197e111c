/** Bad usage: exit 2. */
export class UsageError extends Error {}
/** The input could not be analysed: exit 1, the message names the file and why. */
export class InputError extends Error {}
