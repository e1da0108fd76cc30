/** Why a file could not be read, in words for an error message (`it does not exist`, …). */
export function fileErrorReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}
