/**
 * COPY … TO STDOUT data in its three formats (text, CSV, binary): cut into
 * rows and fields, masked cell by cell and written back. Pure: no I/O.
 * https://www.postgresql.org/docs/current/sql-copy.html#SQL-COPY-FILE-FORMATS
 */
export { copyFormat, type CopyFormat } from './copy-format.js';
export { CopyOutMasker, type CopyOutMaskerOptions } from './copy-out-masker.js';
