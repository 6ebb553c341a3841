/* cmcc demo pages: helpers shared by every page. Only the gateway's public API and the sandbox's
 * JSSDK are called, as an integrator's page would; nothing here holds a secret. */
(function (root) {
  'use strict';
  var conf = root.CMCC_DEMO || {};

  function pad(n, w) { n = String(n); while (n.length < w) { n = '0' + n; } return n; }
  /* 17 digits yyyyMMddHHmmssSSS in China time (UTC+8). */
  function ts17() {
    var d = new Date(Date.now() + 8 * 3600 * 1000);
    return pad(d.getUTCFullYear(), 4) + pad(d.getUTCMonth() + 1, 2) + pad(d.getUTCDate(), 2) +
      pad(d.getUTCHours(), 2) + pad(d.getUTCMinutes(), 2) + pad(d.getUTCSeconds(), 2) + pad(d.getUTCMilliseconds(), 3);
  }
  function hex32() {
    var b = new Uint8Array(16);
    root.crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x < 16 ? '0' : '') + x.toString(16); }).join('');
  }
  function $(id) { return document.getElementById(id); }

  /* POST JSON; resolves {status, body, retryAfter} whatever the status (retryAfter: the
   * Retry-After header in seconds, or null). */
  function postJson(url, body, headers) {
    var h = { 'Content-Type': 'application/json' };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(url, { method: 'POST', headers: h, body: JSON.stringify(body) })
      .then(function (r) {
        var ra = parseInt(r.headers.get('Retry-After'), 10);
        return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j, retryAfter: isNaN(ra) ? null : ra }; });
      });
  }
  function getJson(url) {
    return fetch(url).then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; }); });
  }
  /* The gateway's browser API. */
  function gateway(path, body) { return postJson(conf.gateway + path, body); }

  /* The step list under each flow. */
  function Steps(el) { this.el = el; }
  Steps.prototype.clear = function () { this.el.innerHTML = ''; };
  Steps.prototype.add = function (text, ok) {
    var li = document.createElement('li');
    li.textContent = text;
    li.className = ok === false ? 'fail' : 'ok';
    this.el.appendChild(li);
    return li;
  };

  /* Show a result card: state goes to data-state (the browser tests wait on it). */
  function showResult(el, state, kind, big, title, detail) {
    el.hidden = false;
    el.className = 'card result ' + kind;
    el.setAttribute('data-state', state);
    el.innerHTML = '';
    var b = document.createElement('div'); b.className = 'big'; b.textContent = big; el.appendChild(b);
    var h = document.createElement('h2'); h.textContent = title; el.appendChild(h);
    if (detail) { var p = document.createElement('p'); p.className = 'muted'; p.textContent = detail; el.appendChild(p); }
  }

  /* The sandbox-only device picker: which phone (number, network) the browser pretends to be.
   * Its value is sent as X-Cmcc-Sandbox-Device by the sandbox JSSDK. */
  var DEVICES = [
    ['13800138000', '中国移动 4G · 13800138000'],
    ['phone=19812345678, net=5g', '中国移动 5G · 19812345678'],
    ['13800138000; wifi', 'WiFi（无法取号 / no number over WiFi）'],
    ['18612345678', '中国联通 4G · 非移动号码 (111002)'],
    ['19800001001', '移动网关取号失败 (105002)'],
    ['', '使用控制台为本浏览器选择的设备 (console cookie)'],
    ['custom', '自定义 (custom)']
  ];
  function devicePicker(container) {
    var params = new URLSearchParams(root.location.search);
    var initial = params.has('device') ? params.get('device') : DEVICES[0][0];
    container.innerHTML =
      '<h2>沙箱设备 · Sandbox device</h2>' +
      '<label for="device-preset">模拟的手机与网络</label><select id="device-preset"></select>' +
      '<label for="device">设备描述（可改，如 13912345678 或 13800138000; wifi）</label><input type="text" id="device">' +
      '<p class="muted">真实环境中号码来自移动数据网络；沙箱用这个值代替。也可在 <a href="' + conf.sandbox + '/_sandbox/#device" target="_blank">沙箱控制台</a> 为本浏览器选择设备，再在上面选「使用控制台为本浏览器选择的设备」。 · Or choose this browser\'s device in the sandbox console, then pick "console cookie" above.</p>';
    var sel = container.querySelector('#device-preset');
    var input = container.querySelector('#device');
    DEVICES.forEach(function (d) {
      var o = document.createElement('option'); o.value = d[0]; o.textContent = d[1]; sel.appendChild(o);
    });
    function syncSelect() {
      var v = input.value.trim();
      sel.value = DEVICES.some(function (d) { return d[0] === v && v !== 'custom'; }) ? v : 'custom';
    }
    input.value = initial;
    syncSelect();
    sel.addEventListener('change', function () { if (sel.value !== 'custom') { input.value = sel.value; } });
    input.addEventListener('input', syncSelect);
    return function () { return input.value.trim(); };
  }

  function errorText(r) {
    var e = (r && r.body && r.body.error) || {};
    return (e.code ? e.code + ': ' : '') + (e.message || ('HTTP ' + (r && r.status))) + (e.hint ? '（' + e.hint + '）' : '');
  }


  /* Verification (both H5 and mini-program): the page sends the typed number with the token to its
   * business server, which calls verifyVmMobileApi. 000 = same number; anything else, and any
   * failure, leads to the other login method (seed 004, notes on steps 9 and 12). */
  function verifyNumber(phone, token, userInformation, steps, resultEl, fallback) {
    steps.add('业务服务端校验 POST /v1/verify（phone ' + phone.slice(0, 3) + '****' + phone.slice(7) + '）');
    return gateway('/v1/verify', { phone: phone, token: token, userInformation: userInformation }).then(function (r) {
      if (r.status === 200 && r.body.verified) {
        steps.add('结果 ' + r.body.code + '：号码一致 (match)');
        showResult(resultEl, 'matched', 'ok', '✓', '本机号码校验通过，登录成功', '结果码 ' + r.body.code + ' · 号码与本机一致 · taskId ' + (r.body.taskId || '-'));
      } else if (r.status === 200) {
        steps.add('结果 ' + r.body.code + '：号码不一致 (mismatch)', false);
        showResult(resultEl, 'mismatch', 'bad', '✗', '号码与本机号码不一致', '结果码 ' + r.body.code + ' · 请换用其他方式登录 (number differs: use another login method)');
        fallback('输入的号码不是本机号码');
      } else if (r.status === 429 && r.body.error && r.body.error.code === 'daily_cap') {
        steps.add('今日校验次数已达上限 (daily cap): ' + errorText(r), false);
        showResult(resultEl, 'daily_cap', 'warn', '!', '该号码今日校验次数已达上限', errorText(r));
        fallback('该号码今日校验次数已用完');
      } else {
        steps.add('校验失败: ' + errorText(r), false);
        showResult(resultEl, 'error', 'bad', '!', '校验失败', errorText(r));
        fallback('校验未完成');
      }
    }, function (e) {
      steps.add('网关不可达: ' + e, false);
      showResult(resultEl, 'error', 'bad', '!', '网关不可达', String(e));
      fallback('网络错误');
    });
  }

  /* The "其他方式登录" card (SMS code, shown only: the demo sends nothing). */
  function fallbackFn(el) {
    return function (reason) {
      el.hidden = false;
      el.setAttribute('data-reason', reason || '');
      var r = el.querySelector('.reason');
      if (r) { r.textContent = reason ? '原因：' + reason : ''; }
    };
  }
  var FALLBACK_HTML = '<h2>其他方式登录 · Other login method</h2><p class="muted reason"></p>' +
    '<label for="sms-phone">手机号码</label><input type="tel" id="sms-phone" maxlength="11" placeholder="请输入手机号码">' +
    '<div class="row"><div><label for="sms-code">短信验证码</label><input type="text" id="sms-code" maxlength="6" placeholder="6 位验证码"></div>' +
    '<div><button type="button" class="secondary" disabled>获取验证码</button></div></div>' +
    '<button type="button" disabled>登录</button><p class="muted">演示：短信登录由业务方自行实现，这里只展示回退入口。</p>';

  root.Demo = { conf: conf, ts17: ts17, hex32: hex32, $: $, postJson: postJson, getJson: getJson, gateway: gateway,
    Steps: Steps, showResult: showResult, verifyNumber: verifyNumber, fallbackFn: fallbackFn, FALLBACK_HTML: FALLBACK_HTML, devicePicker: devicePicker, errorText: errorText };
})(window);
