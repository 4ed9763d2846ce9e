/** What no id, date or code the server takes from outside can contain (the API contract's rule, in core). */
export { NOT_TEXT } from '@wecom-kf-stats/core/server-api';
/** C0 and C1 control characters and DEL. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
