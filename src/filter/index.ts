/**
 * Display filters: Wireshark's filter language over the decoded packet and
 * the session's overlay facts (docs/filter.md).
 *   lexer.ts   tokens          parser.ts  the AST          compile.ts  predicates
 *   fields.ts  the field table input.ts   what a filter reads
 *   regex.ts   `matches` (Pike VM, bounded)                 frame-filter.ts  records of a capture
 */
export { checkFilter, compileFilter, parseInteger, type CompiledFilter, type Predicate } from './compile.js';
export { FilterError } from './errors.js';
export { allFields, fieldDef, fieldNames, UNSUPPORTED_FIELDS, type FieldDef, type FieldType } from './fields.js';
export { FilterInput, type EndpointFacts, type FilterFacts } from './input.js';
export { FrameFilter } from './frame-filter.js';
export { ByteRegex, RegexError } from './regex.js';
