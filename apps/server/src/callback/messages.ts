/**
 * The XML of WeCom's command callbacks (docs/wecom-api.md §4): the envelope WeCom posts, whose
 * `<Encrypt>` holds the message, and the decrypted message itself (`InfoType` suite_ticket,
 * create_auth, change_auth, cancel_auth, reset_permanent_code). Documents with a DOCTYPE are refused
 * (no entity expansion); every value is read as text.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CallbackRefusal } from './crypto.js';
import { CONTROL_CHARACTERS } from '../input-text.js';

const parser = new XMLParser({
  ignoreDeclaration: true,
  ignoreAttributes: true,
  processEntities: false,
  parseTagValue: false,
  trimValues: true,
});

/** A child of `<xml>` that is not one text value: repeated, or with elements of its own. */
const COMPOUND = Symbol('compound');
/** The parsed `<xml>` element itself, for the nested fields a caller reads (ExtraInfo). */
const ROOT = Symbol('root');
type Fields = Record<string, string | typeof COMPOUND>;

/**
 * The children of the `<xml>` root: text ones as text, the others marked compound. Only the
 * fields a caller needs must be single text values: other events on the same URL
 * (change_contact, batch_job_result…) carry nested and repeated elements.
 */
function fieldsOf(xml: string, what: string): Fields & { [ROOT]?: Record<string, unknown> } {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new CallbackRefusal(400, `the ${what} declares a DOCTYPE, which WeCom never sends`);
  if (XMLValidator.validate(xml) !== true) throw new CallbackRefusal(400, `the ${what} is not well-formed XML`);
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch {
    throw new CallbackRefusal(400, `the ${what} is not well-formed XML`);
  }
  const root = (doc as { xml?: unknown }).xml;
  if (typeof root !== 'object' || root === null || Array.isArray(root)) throw new CallbackRefusal(400, `the ${what} has no <xml> root`);
  const fields: Fields & { [ROOT]?: Record<string, unknown> } = { [ROOT]: root as Record<string, unknown> };
  for (const [name, value] of Object.entries(root)) {
    if (typeof value === 'string' || typeof value === 'number') fields[name] = String(value);
    else if (value === null || value === undefined || value === '') fields[name] = '';
    else fields[name] = COMPOUND;
  }
  return fields;
}

/** A field that must be one non-empty text value. */
function single(fields: Fields, name: string, what: string): string {
  const value = fields[name];
  if (value === COMPOUND) throw new CallbackRefusal(400, `the ${what} has a repeated or nested <${name}>`);
  if (!value) throw new CallbackRefusal(400, `the ${what} has no <${name}>`);
  return value;
}

/** Base64 of AES blocks: what `<Encrypt>` holds (page 91144). */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Whitespace XML allows around the text: space, tab, CR, LF. */
const isSpace = (byte: number | undefined) => byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;

/**
 * The ciphertext of a posted envelope, found without parsing XML or decoding the body to text: it
 * is all that the signature covers, and it must be checked before anything costly is done with a
 * body anyone can send. The bytes of the one `<Encrypt>` element, in CDATA or not (a view of the
 * body, not a copy); whether they are base64 is asked only once the signature matched
 * (`checkCiphertext`), so a forged body costs a search and a hash.
 */
export function envelopeCiphertext(xml: Buffer): Buffer {
  const open = xml.indexOf('<Encrypt>');
  const close = open === -1 ? -1 : xml.indexOf('</Encrypt>', open);
  if (open === -1 || close === -1) throw new CallbackRefusal(400, 'the body has no <Encrypt> element');
  if (xml.indexOf('<Encrypt>', close) !== -1) throw new CallbackRefusal(400, 'the body has a repeated <Encrypt>');
  let text = trimBytes(xml.subarray(open + '<Encrypt>'.length, close));
  const cdataOpen = '<![CDATA[';
  const cdataClose = ']]>';
  if (
    text.length >= cdataOpen.length + cdataClose.length &&
    text.subarray(0, cdataOpen.length).toString('latin1') === cdataOpen &&
    text.subarray(text.length - cdataClose.length).toString('latin1') === cdataClose
  ) {
    text = trimBytes(text.subarray(cdataOpen.length, text.length - cdataClose.length));
  }
  if (text.length === 0) throw new CallbackRefusal(400, 'the body has no <Encrypt>');
  return text;
}

function trimBytes(bytes: Buffer): Buffer {
  let start = 0;
  let end = bytes.length;
  while (start < end && isSpace(bytes[start])) start += 1;
  while (end > start && isSpace(bytes[end - 1])) end -= 1;
  return bytes.subarray(start, end);
}

/** A signed envelope's ciphertext as text, base64 (Node's decoder would skip other characters silently). */
export function checkCiphertext(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  if (!BASE64.test(text)) throw new CallbackRefusal(400, "the body's <Encrypt> is not base64");
  return text;
}

/**
 * Ids and codes as the server keeps them: printable text of a sane length. WeCom's ids are short
 * (corp and suite ids some 18 characters); auth codes and tickets are longer, never near this.
 */
const MAX_FIELD_LENGTH = 512;
function usable(value: string, name: string, what: string): string {
  if (value.length > MAX_FIELD_LENGTH || CONTROL_CHARACTERS.test(value))
    throw new CallbackRefusal(
      400,
      `the ${what} has a <${name}> the server cannot keep (control characters, or longer than ${MAX_FIELD_LENGTH})`,
    );
  return value;
}

/** The most accounts a corp has (page 94661): a longer AuthOpenKfIdList is not WeCom's. */
const MAX_AUTHORIZED_ACCOUNTS = 5000;

/**
 * The accounts a corp chose for the KF component (page 99401: ExtraInfo.AuthOpenKfIdList, one
 * OpenKfId each); undefined when the event names none.
 */
function authorizedAccounts(root: Record<string, unknown> | undefined, what: string): string[] | undefined {
  const extra = root?.ExtraInfo;
  if (typeof extra !== 'object' || extra === null) return undefined;
  const list = (extra as Record<string, unknown>).AuthOpenKfIdList;
  if (list === undefined) return undefined;
  if (list === '' || list === null) return [];
  const ids = typeof list === 'object' ? (list as Record<string, unknown>).OpenKfId : undefined;
  const values = ids === undefined ? [] : Array.isArray(ids) ? ids : [ids];
  if (values.length > MAX_AUTHORIZED_ACCOUNTS)
    throw new CallbackRefusal(
      400,
      `the ${what} lists ${values.length} accounts in AuthOpenKfIdList; a corp has at most ${MAX_AUTHORIZED_ACCOUNTS}`,
    );
  return [
    ...new Set(
      values.map((v) => {
        if (typeof v !== 'string' && typeof v !== 'number') throw new CallbackRefusal(400, `the ${what} has a nested <OpenKfId>`);
        return usable(String(v).trim(), 'OpenKfId', what);
      }),
    ),
  ].filter(Boolean);
}

export type CallbackEvent =
  | { infoType: 'suite_ticket'; suiteId: string; timeStamp: number; suiteTicket: string }
  | { infoType: 'create_auth' | 'reset_permanent_code'; suiteId: string; timeStamp: number; authCode: string; openKfids?: string[] }
  | { infoType: 'change_auth' | 'cancel_auth'; suiteId: string; timeStamp: number; authCorpId: string; openKfids?: string[] }
  | { infoType: 'other'; suiteId: string; timeStamp: number; name: string };

/** The decrypted message, checked for the fields its InfoType needs. */
export function parseEvent(xml: string): CallbackEvent {
  const f = fieldsOf(xml, 'decrypted message');
  const infoType = single(f, 'InfoType', 'decrypted message');
  const need = (name: string): string => usable(single(f, name, `${infoType} message`), name, `${infoType} message`);
  const suiteId = need('SuiteId');
  const timeStamp = Number(need('TimeStamp'));
  if (!Number.isSafeInteger(timeStamp) || timeStamp <= 0)
    throw new CallbackRefusal(400, 'the message has a <TimeStamp> that is not a number of seconds');
  switch (infoType) {
    case 'suite_ticket':
      return { infoType, suiteId, timeStamp, suiteTicket: need('SuiteTicket') };
    case 'create_auth':
    case 'reset_permanent_code': {
      const openKfids = authorizedAccounts(f[ROOT], `${infoType} message`);
      return { infoType, suiteId, timeStamp, authCode: need('AuthCode'), ...(openKfids ? { openKfids } : {}) };
    }
    case 'change_auth':
    case 'cancel_auth': {
      const openKfids = authorizedAccounts(f[ROOT], `${infoType} message`);
      return { infoType, suiteId, timeStamp, authCorpId: need('AuthCorpId'), ...(openKfids ? { openKfids } : {}) };
    }
    default:
      return { infoType: 'other', suiteId, timeStamp, name: infoType.slice(0, 64) };
  }
}
