/** What a refused caller is told when no rule gives its own message. */
export const MESSAGES = {
  defaultDeny: 'no policy rule allows this request',
  unclassified: 'statement could not be classified',
  denied: (rule: string) => `refused by policy rule ${rule}`,
  /** `why` completes "the statement …" (`executes SQL built at run time (…)`). */
  unknowable: (rule: string, why: string | undefined) =>
    `the statement ${why ?? 'runs code whose effect is known only at run time'}, ` +
    `so policy rule ${rule} cannot be checked against it`,
  /** `why` completes "the command line …" (`runs sh reading commands from its input`). */
  commandUnknown: (rule: string, why: string | undefined) =>
    `the command line ${why ?? 'runs something known only when it runs'}, ` +
    `so policy rule ${rule} cannot be checked against it`,
  conditionFailed: (rule: string, why: string) =>
    `the condition of policy rule ${rule} failed (${why}), so the rule refuses the request`,
  review: (rule: string, approvers: readonly string[], message: string | undefined) =>
    message ?? `policy rule ${rule} holds this request for a review by ${approvers.join(', ')}`,
} as const;
