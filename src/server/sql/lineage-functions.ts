/**
 * Built-in functions whose result derives from their arguments alone: they
 * read no table, so the lineage of a call is the lineage of its arguments.
 * Any other function (user-defined, or a built-in that runs SQL text such as
 * `query_to_xml`, or reads files) may return data the parse tree cannot see:
 * its result's lineage is unknown, and masking falls back to its conservative
 * rule. Names are pg_catalog's (PostgreSQL 12–17 function tables).
 */
// prettier-ignore
export const TRANSPARENT_FUNCTIONS: ReadonlySet<string> = new Set([
  // Aggregates (including FILTER and ORDER BY inside them: the walker reads every argument).
  'count', 'sum', 'avg', 'min', 'max', 'array_agg', 'string_agg', 'json_agg', 'jsonb_agg',
  'json_object_agg', 'jsonb_object_agg', 'bool_and', 'bool_or', 'every', 'bit_and', 'bit_or',
  'xmlagg', 'mode', 'percentile_cont', 'percentile_disc', 'stddev', 'variance', 'any_value',
  // Window functions.
  'row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'lag', 'lead',
  'first_value', 'last_value', 'nth_value',
  // Strings.
  'upper', 'lower', 'initcap', 'concat', 'concat_ws', 'format', 'substr', 'substring', 'left',
  'right', 'length', 'char_length', 'character_length', 'octet_length', 'bit_length', 'trim',
  'btrim', 'ltrim', 'rtrim', 'lpad', 'rpad', 'replace', 'translate', 'reverse', 'repeat',
  'split_part', 'position', 'strpos', 'starts_with', 'overlay', 'ascii', 'chr', 'md5', 'sha224',
  'sha256', 'sha384', 'sha512', 'encode', 'decode', 'convert_from', 'convert_to', 'to_hex',
  'regexp_replace', 'regexp_match', 'regexp_matches', 'regexp_substr', 'regexp_split_to_array',
  'regexp_split_to_table', 'string_to_array', 'string_to_table', 'array_to_string',
  'quote_ident', 'quote_literal', 'quote_nullable', 'to_char', 'to_number', 'to_date',
  'to_timestamp', 'normalize', 'unistr', 'text', 'textlen',
  // JSON and XML built from values.
  'row_to_json', 'to_json', 'to_jsonb', 'array_to_json', 'json_build_object',
  'jsonb_build_object', 'json_build_array', 'jsonb_build_array', 'json_object', 'jsonb_object',
  'jsonb_pretty', 'jsonb_set', 'jsonb_insert', 'jsonb_strip_nulls', 'json_strip_nulls',
  'json_extract_path', 'json_extract_path_text', 'jsonb_extract_path', 'jsonb_extract_path_text',
  'json_array_elements', 'json_array_elements_text', 'jsonb_array_elements',
  'jsonb_array_elements_text', 'json_each', 'json_each_text', 'jsonb_each', 'jsonb_each_text',
  'json_object_keys', 'jsonb_object_keys', 'json_to_record', 'json_to_recordset',
  'jsonb_to_record', 'jsonb_to_recordset', 'json_populate_record', 'jsonb_populate_record',
  'json_populate_recordset', 'jsonb_populate_recordset', 'json_typeof', 'jsonb_typeof',
  'jsonb_path_query', 'jsonb_path_query_array', 'jsonb_path_query_first', 'xmlelement',
  'xmlforest', 'xmlconcat', 'xmltext',
  // Arrays and sets.
  'unnest', 'array_length', 'cardinality', 'array_append', 'array_prepend', 'array_cat',
  'array_remove', 'array_replace', 'array_position', 'array_positions', 'array_dims',
  'array_lower', 'array_upper', 'generate_series', 'generate_subscripts',
  // Numbers, dates, conditionals.
  'abs', 'round', 'trunc', 'floor', 'ceil', 'ceiling', 'mod', 'power', 'sqrt', 'sign',
  'greatest', 'least', 'nullif', 'coalesce', 'now', 'date_trunc', 'date_part', 'extract', 'age',
  'make_date', 'make_timestamp', 'make_interval', 'timezone', 'random', 'gen_random_uuid',
  'num_nonnulls', 'num_nulls', 'hashtext', 'pg_typeof', 'isfinite', 'justify_days',
  // Conversions called as functions, bytes and bits.
  'int2', 'int4', 'int8', 'float4', 'float8', 'numeric', 'bool', 'varchar', 'bpchar', 'name',
  'bytea', 'get_byte', 'get_bit', 'set_byte', 'set_bit', 'bit_count', 'crc32', 'crc32c',
  'to_tsvector', 'to_tsquery', 'hstore', 'akeys', 'avals', 'xmlparse', 'xpath', 'xml',
]);

/**
 * Built-ins that describe catalog objects (psql's meta-commands call them:
 * `\d`, `\l`, `\df`, `\di` …): what they return derives from their
 * arguments (OIDs and catalog columns) and the system catalogs, which hold
 * names, types, owners and definitions, not rows. Their lineage is their
 * arguments', so `format_type(a.atttypid, a.atttypmod)` next to a masked
 * column is not masked whole as an unknown function's result would be;
 * detectors still read what they return. Definitions (`pg_get_expr`,
 * `pg_get_viewdef` …) are SQL a user wrote: a masked value written there by
 * dynamic SQL is a use of the column, refused where it is written.
 * Comments (`obj_description` …) are not here: they are free text.
 */
// prettier-ignore
export const CATALOG_FUNCTIONS: ReadonlySet<string> = new Set([
  'format_type', 'pg_get_userbyid', 'pg_encoding_to_char', 'pg_get_function_result',
  'pg_get_function_arguments', 'pg_get_function_identity_arguments', 'pg_get_indexdef',
  'pg_get_constraintdef', 'pg_get_triggerdef', 'pg_get_expr', 'pg_get_viewdef', 'pg_get_ruledef',
  'pg_get_partkeydef', 'pg_get_partition_constraintdef', 'pg_get_statisticsobjdef',
  'pg_get_statisticsobjdef_columns', 'pg_get_serial_sequence', 'pg_size_pretty',
  'pg_table_size', 'pg_relation_size', 'pg_total_relation_size', 'pg_indexes_size',
  'pg_database_size', 'pg_tablespace_size', 'pg_tablespace_location', 'pg_describe_object',
  'pg_get_function_sqlbody',
]);
