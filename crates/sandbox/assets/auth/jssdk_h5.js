/*
 * cmcc sandbox: H5 JSSDK (global YDRZ), the same API as the carrier's H5 number-fetch JS:
 *   YDRZ.getConnection({appId, success, error})          network type (4G / 5G / WIFI / UNKNOWN)
 *   YDRZ.getSign(appId, version) -> preSign              appId + msgId + timestamp + uuid + version
 *   YDRZ.getTokenInfo({data: {appId, version, sign, expandParams}, success, error})
 * Like the carrier's JS, every failed number fetch reaches `error` as code "500" ("图片请求失败");
 * the sandbox also passes the real code as resultCode/resultDesc, which the carrier hides.
 * Sandbox only: YDRZ.setSandboxDevice("13800138000; wifi") sends the device header.
 */
(function (root) {
  'use strict';
  var BASE = '__CMCC_SANDBOX_BASE__';
  try {
    if (typeof document !== 'undefined' && document.currentScript && document.currentScript.src) {
      BASE = new URL(document.currentScript.src).origin;
    }
  } catch (e) { /* keep the served base */ }
  var GET_TOKEN = '/NumberAbility/h5/getToken.htm';
  var GET_CONNECTION = '/NumberAbility/h5/getConnection.htm';
  var pending = null;
  var device = null;

  function hex32() {
    var b = new Uint8Array(16);
    if (root.crypto && root.crypto.getRandomValues) { root.crypto.getRandomValues(b); }
    else { for (var i = 0; i < 16; i++) { b[i] = Math.floor(Math.random() * 256); } }
    var s = '';
    for (var j = 0; j < 16; j++) { s += (b[j] < 16 ? '0' : '') + b[j].toString(16); }
    return s;
  }
  function pad(n, w) { n = String(n); while (n.length < w) { n = '0' + n; } return n; }
  /* 17 digits yyyyMMddHHmmssSSS, China time (UTC+8). */
  function ts17() {
    var d = new Date(Date.now() + 8 * 3600 * 1000);
    return pad(d.getUTCFullYear(), 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) +
      pad(d.getUTCHours(), 2) + pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2) + pad(d.getUTCMilliseconds(), 3);
  }
  function b64(s) {
    var bytes = unescape(encodeURIComponent(s));
    if (typeof root.btoa === 'function') { return root.btoa(bytes); }
    return Buffer.from(s, 'utf8').toString('base64');
  }
  /* The browser fingerprint (userInformation): url-encoded base64 of what the page can see. */
  function fingerprint() {
    var nav = root.navigator || {};
    var scr = root.screen || {};
    var fp = {
      ua: nav.userAgent || 'unknown',
      lang: nav.language || '',
      platform: nav.platform || '',
      screen: (scr.width || 0) + 'x' + (scr.height || 0),
      tz: new Date().getTimezoneOffset(),
      nonce: hex32()
    };
    return encodeURIComponent(b64(JSON.stringify(fp)));
  }
  function post(path, body, cb) {
    var headers = { 'Content-Type': 'application/json' };
    if (device) { headers['X-Cmcc-Sandbox-Device'] = device; }
    root.fetch(BASE + path, { method: 'POST', headers: headers, body: JSON.stringify(body), credentials: 'include' })
      .then(function (r) { return r.json(); })
      .then(function (j) { cb(null, j); }, function (e) { cb(e || new Error('network error')); });
  }
  function call(f, arg) { if (typeof f === 'function') { f(arg); } }

  var YDRZ = {
    version: '1.0.0-cmcc-sandbox',
    getConnection: function (opts) {
      opts = opts || {};
      post(GET_CONNECTION, { appId: opts.appId || '' }, function (err, j) {
        if (err || !j) { call(opts.error, { code: '500', message: 'network error', netType: 'UNKNOWN' }); return; }
        if (j.resultCode !== '103000') { call(opts.error, { code: j.resultCode, message: j.resultDesc, netType: j.netType }); return; }
        call(opts.success, { code: j.resultCode, message: j.resultDesc, netType: j.netType });
      });
    },
    getSign: function (appId, version) {
      pending = { appId: String(appId || ''), msgId: hex32(), timestamp: ts17(), uuid: hex32(), version: String(version || '1.0') };
      return pending.appId + pending.msgId + pending.timestamp + pending.uuid + pending.version;
    },
    getTokenInfo: function (opts) {
      opts = opts || {};
      var data = opts.data || {};
      var p = pending;
      pending = null;
      if (!p || (data.appId && String(data.appId) !== p.appId)) {
        call(opts.error, { code: '500', message: '图片请求失败', resultCode: '130010', resultDesc: 'call YDRZ.getSign(appId, version) first and sign its preSign' });
        return;
      }
      var body = {
        appId: p.appId, msgId: p.msgId, timestamp: p.timestamp, uuid: p.uuid, version: p.version,
        sign: data.sign || '', expandParams: data.expandParams || '', userInformation: fingerprint()
      };
      post(GET_TOKEN, body, function (err, j) {
        var b = (j && j.body) || {};
        if (!err && b.resultCode === '103000' && b.token) {
          call(opts.success, { code: '103000', message: 'token获取成功', token: b.token, userInformation: b.userInformation, msgId: p.msgId });
        } else {
          call(opts.error, { code: '500', message: '图片请求失败', msgId: p.msgId, resultCode: b.resultCode || '', resultDesc: b.resultDesc || String(err || '') });
        }
      });
    },
    setSandboxDevice: function (spec) { device = spec ? String(spec) : null; }
  };
  root.YDRZ = YDRZ;
  if (typeof module === 'object' && module && module.exports) { module.exports = YDRZ; }
})(typeof globalThis !== 'undefined' ? globalThis : this);
