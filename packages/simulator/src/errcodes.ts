/** WeCom errcodes the simulator answers, with the errmsg it sends for each. */

const ERRMSG: Readonly<Record<number, string>> = {
  [-1]: 'system busy',
  0: 'ok',
  40001: 'invalid credential',
  40013: 'invalid corpid',
  40014: 'invalid access_token',
  40058: 'invalid parameter',
  40078: 'invalid auth_code',
  40082: 'invalid suite_token',
  40084: 'invalid permanent_code',
  40085: 'invalid suite_ticket',
  41001: 'access_token missing',
  41002: 'corpid missing',
  41004: 'corpsecret missing',
  41022: 'suite_access_token missing',
  42001: 'access_token expired',
  42009: 'suite_access_token expired',
  45009: 'api freq out of limit',
  45033: 'api concurrent out of limit',
  47001: 'data format error',
  48002: 'api forbidden',
  48004: 'api forbidden: authorization cancelled',
  60020: 'not allow to access from your ip',
  60111: 'userid not found',
  95000: 'invalid open_kfid',
  95004: 'open_kfid not found',
  95017: 'kf api not enabled for this corp',
};

/** The errmsg the simulator sends with an errcode. */
export function errmsgFor(errcode: number): string {
  return ERRMSG[errcode] ?? `simulated error ${errcode}`;
}
