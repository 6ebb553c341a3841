/*
 * cmcc sandbox: the mini-program JSSDK (seed 001), `import YDRZ from '../../utils/jssdk.js'`:
 *   YDRZ.getConnection({appId, success, error})
 *   YDRZ.getTokenInfo({data: {version, sign, traceId, timestamp, appId, openType, expandParams, isTest}, success, error})
 * Uses wx.request inside a mini-program, fetch elsewhere. Errors reach `error` with the real
 * code ({code, message}), as seed 001 lists them.
 * Sandbox only: YDRZ.setSandboxDevice("13800138000; wifi") sends the device header.
 */
(function (root, factory) {
  var Y = factory(root);
  if (typeof module === 'object' && module && module.exports) { module.exports = Y; module.exports.default = Y; }
  root.YDRZ = Y;
})(typeof globalThis !== 'undefined' ? globalThis : this, function (root) {
  'use strict';
  var BASE = '__CMCC_SANDBOX_BASE__';
  var GET_TOKEN_INFO = '/NumberAbility/jssdkVlm_MiniProg/getTokenInfo.htm';
  var GET_CONNECTION = '/NumberAbility/h5/getConnection.htm';
  var device = null;

  function wxApi() { return (typeof wx !== 'undefined' && wx && typeof wx.request === 'function') ? wx : null; }
  function b64(s) {
    var bytes = unescape(encodeURIComponent(s));
    if (typeof root.btoa === 'function') { return root.btoa(bytes); }
    return Buffer.from(s, 'utf8').toString('base64');
  }
  function fingerprint() {
    var info = {};
    var w = wxApi();
    try { if (w && typeof w.getSystemInfoSync === 'function') { info = w.getSystemInfoSync() || {}; } } catch (e) { info = {}; }
    var fp = {
      brand: info.brand || '', model: info.model || '', system: info.system || '',
      wxVersion: info.version || '', sdk: info.SDKVersion || '',
      ua: (root.navigator && root.navigator.userAgent) || 'unknown',
      nonce: String(Date.now()) + String(Math.floor(Math.random() * 1e9))
    };
    return encodeURIComponent(b64(JSON.stringify(fp)));
  }
  function request(path, body, cb) {
    var headers = { 'Content-Type': 'application/json' };
    if (device) { headers['X-Cmcc-Sandbox-Device'] = device; }
    var w = wxApi();
    if (w) {
      w.request({
        url: BASE + path, method: 'POST', header: headers, data: body, dataType: 'json',
        success: function (res) {
          var d = res && res.data;
          if (typeof d === 'string') { try { d = JSON.parse(d); } catch (e) { cb(e); return; } }
          cb(null, d);
        },
        fail: function (err) { cb(err || { errMsg: 'request:fail' }); }
      });
      return;
    }
    root.fetch(BASE + path, { method: 'POST', headers: headers, body: JSON.stringify(body) })
      .then(function (r) { return r.json(); })
      .then(function (j) { cb(null, j); }, function (e) { cb(e || new Error('network error')); });
  }
  function call(f, arg) { if (typeof f === 'function') { f(arg); } }

  return {
    version: '1.0.0-cmcc-sandbox',
    getConnection: function (opts) {
      opts = opts || {};
      request(GET_CONNECTION, { appId: opts.appId || '' }, function (err, j) {
        if (err || !j) { call(opts.error, { code: '500', message: 'network error', netType: 'UNKNOWN' }); return; }
        if (j.resultCode !== '103000') { call(opts.error, { code: j.resultCode, message: j.resultDesc, netType: j.netType }); return; }
        call(opts.success, { code: j.resultCode, message: j.resultDesc, netType: j.netType });
      });
    },
    getTokenInfo: function (opts) {
      opts = opts || {};
      var d = opts.data || {};
      var body = {
        version: d.version || '', sign: d.sign || '', traceId: d.traceId || '', msgId: d.traceId || '',
        timestamp: d.timestamp || '', appId: d.appId || '', businessType: '5', openType: d.openType || '1',
        expandParams: d.expandParams || '', userInformation: fingerprint()
      };
      if (d.isTest !== undefined && d.isTest !== null) { body.isTest = String(d.isTest); }
      request(GET_TOKEN_INFO, body, function (err, j) {
        var b = (j && j.body) || {};
        if (!err && b.resultCode === '103000' && b.token) {
          call(opts.success, { code: '103000', message: 'token获取成功', token: b.token, userInformation: b.userInformation });
        } else {
          call(opts.error, { code: b.resultCode || '500', message: b.resultDesc || String((err && (err.errMsg || err.message)) || 'network error') });
        }
      });
    },
    setSandboxDevice: function (spec) { device = spec ? String(spec) : null; }
  };
});
