/*
 * cmcc sandbox: H5 JSSDK (global YDRZ), the same API as the carrier's H5 number-fetch JS:
 *   YDRZ.getConnection({appId, success, error})          network type (4G / 5G / WIFI / UNKNOWN)
 *   YDRZ.getSign(appId, version) -> preSign              appId + msgId + timestamp + uuid + version
 *   YDRZ.getTokenInfo({data: {appId, version, sign, expandParams, openType}, success, error})
 * On the wire it speaks the carrier script's protocol: an image GET of getMobile.htm (version,
 * appId, openType, expandParams, msgId, timestamp, uuid, userInformation in the query; the mobile
 * gateway identifies the device there), then a POST of getToken.htm with
 * {header: {version, msgId, timestamp, appId}, body: {expandParams, sign, uuid}}, answered
 * {header: {resultCode}, body: {token, resultDesc}}.
 * Like the carrier's JS, every failed number fetch reaches `error` as code "500" ("图片请求失败");
 * the sandbox also passes the real code as resultCode/resultDesc, which the carrier hides.
 * Sandbox only: YDRZ.setSandboxDevice("13800138000; wifi") sends the device header (the image
 * is then fetched, since an image cannot carry a header).
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
  var GET_MOBILE = '/NumberAbility/h5/getMobile.htm';
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
  function query(o) {
    return Object.keys(o).map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(o[k]); }).join('&');
  }
  /* The number-fetch image: an <img> in a browser; fetched where there is no Image (node) or
     when the sandbox device header must be sent. */
  function image(url, cb) {
    var done = false;
    function once(err) { if (!done) { done = true; cb(err); } }
    if (!device && typeof root.Image === 'function') {
      var img = new root.Image();
      img.onload = function () { once(null); };
      img.onerror = function () { once(new Error('image request failed')); };
      img.src = url;
      return;
    }
    var headers = {};
    if (device) { headers['X-Cmcc-Sandbox-Device'] = device; }
    root.fetch(url, { headers: headers, credentials: 'include' })
      .then(function (r) { once(r.ok ? null : new Error('image request answered HTTP ' + r.status)); },
        function (e) { once(e || new Error('network error')); });
  }

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
      var ui = fingerprint();
      var expand = data.expandParams || '';
      var q = {
        version: p.version, appId: p.appId, openType: String(data.openType || '1'), expandParams: expand,
        msgId: p.msgId, timestamp: p.timestamp, uuid: p.uuid, userInformation: ui
      };
      image(BASE + GET_MOBILE + '?' + query(q), function (imgErr) {
        if (imgErr) {
          call(opts.error, { code: '500', message: '图片请求失败', msgId: p.msgId, resultCode: '', resultDesc: String(imgErr) });
          return;
        }
        var env = {
          header: { version: p.version, msgId: p.msgId, timestamp: p.timestamp, appId: p.appId },
          body: { expandParams: expand, sign: data.sign || '', uuid: p.uuid }
        };
        post(GET_TOKEN, env, function (err, j) {
          var h = (j && j.header) || {};
          var b = (j && j.body) || {};
          if (!err && h.resultCode === '103000' && b.token) {
            call(opts.success, { code: '103000', message: 'token获取成功', token: b.token, userInformation: ui, msgId: p.msgId });
          } else {
            call(opts.error, { code: '500', message: '图片请求失败', msgId: p.msgId, resultCode: h.resultCode || '', resultDesc: b.resultDesc || String(err || '') });
          }
        });
      });
    },
    setSandboxDevice: function (spec) { device = spec ? String(spec) : null; }
  };
  root.YDRZ = YDRZ;
  if (typeof module === 'object' && module && module.exports) { module.exports = YDRZ; }
})(typeof globalThis !== 'undefined' ? globalThis : this);
