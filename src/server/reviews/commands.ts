/**
 * The CLI lines the gateway tells people to run, in one place so the notice,
 * the refusals and the README agree.
 */
export const REVIEW_COMMANDS = {
  approve: (id: string) => `hoop reviews approve ${id}`,
  reject: (id: string) => `hoop reviews reject ${id} --reason TEXT`,
  show: (id: string) => `hoop reviews show ${id}`,
  request: (connection: string) =>
    `hoop reviews request ${connection} --duration 30m --reason TEXT`,
  execWithReview: (connection: string, id: string) =>
    `hoop exec ${connection} --review ${id} -i "<the same text>"`,
} as const;
