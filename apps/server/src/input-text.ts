/**
 * What no id, date or code the server takes from outside can contain: C0 and C1 control
 * characters and DEL (PostgreSQL refuses NUL in text outright), and, in a URL, lone surrogates and
 * U+FFFD (what undecodable percent-escapes become).
 */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
export const NOT_TEXT = /[\u0000-\u001f\u007f-\u009f\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
