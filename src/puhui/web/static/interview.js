/* Video interview room (视频面谈), for both parties: the officer's console and the applicant's /m.
 *
 * Signalling goes through Puhui's socket /ws/interviews/{id}: the page fetches a one-minute
 * ticket (its own session proves who it is) and sends it as the first message. The server
 * relays offer / answer / ICE candidates between the two parties of this interview only, and
 * only after both consented to the recording; media starts (getUserMedia) only then.
 * The applicant says "ready" when it has its camera and sees the officer; the officer then
 * calls (creates the offer). A party that reloads rejoins and the call is made again.
 * The officer records the applicant's stream (MediaRecorder) and uploads it when stopped.
 * No inline script, no third-party code: CSP `script-src 'self'` is enough.
 */
(function () {
  "use strict";
  var room = document.getElementById("interview-room");
  if (!room) return;
  var party = room.dataset.party;
  var isOfficer = party === "officer";
  var other = isOfficer ? "applicant" : "officer";
  var csrf = room.dataset.csrf;
  var pcState = room.querySelector("[data-testid=pc-state]");
  var localVideo = room.querySelector("video[data-role=local]");
  var remoteVideo = room.querySelector("video[data-role=remote]");
  var iceServers = [];
  try { iceServers = JSON.parse(room.dataset.ice || "[]"); } catch (e) { iceServers = []; }

  var ws = null, pc = null, local = null, remote = null, otherPresent = false;
  var pendingReady = false, sawOther = false, reported = false, ended = false;
  var queue = Promise.resolve();

  function L(key) {
    var name = "l" + key.charAt(0).toUpperCase() + key.slice(1);
    return room.dataset[name] || key;
  }

  function show(key, raw) {
    pcState.textContent = L(key);
    pcState.dataset.state = raw || key;
  }

  function send(kind, data) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "signal", kind: kind, data: data || {} }));
    }
  }

  function connect() {
    if (ended) return;
    fetch(room.dataset.ticketUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("ticket " + r.status); return r.json(); })
      .then(function (body) {
        var scheme = location.protocol === "https:" ? "wss:" : "ws:";
        ws = new WebSocket(scheme + "//" + location.host + room.dataset.ws);
        ws.onopen = function () { ws.send(JSON.stringify({ ticket: body.ticket })); };
        ws.onmessage = function (ev) {
          var msg;
          try { msg = JSON.parse(ev.data); } catch (e) { return; }
          queue = queue.then(function () { return handle(msg); }).catch(function (err) {
            if (window.console) console.error(err);
          });
        };
        ws.onclose = function (ev) {
          ws = null;
          if (ev.code === 4410) { ended = true; hangup(); show("closed"); return; }
          if (ev.code === 4403 || ev.code === 4409) { show("failed", "refused"); return; }
          if (!ended) setTimeout(connect, 2000);
        };
      })
      .catch(function () { show("failed", "refused"); });
  }

  function handle(msg) {
    if (msg.type === "state") return onState(msg);
    if (msg.type === "signal") return onSignal(msg);
    if (msg.type === "error" && window.console) console.warn("signalling:", msg.code);
    return null;
  }

  var statusEl = document.querySelector("[data-testid=interview-status]");
  var statusLabels = {};
  try { statusLabels = JSON.parse(room.dataset.statusLabels || "{}"); } catch (e) { statusLabels = {}; }

  function onState(s) {
    if (statusEl && statusLabels[s.status]) statusEl.textContent = statusLabels[s.status];
    otherPresent = s.present.indexOf(other) >= 0;
    if (s.status === "completed" || s.status === "abandoned") {
      ended = true; hangup(); show("closed"); return null;
    }
    if (!s.media) { show("consent"); return null; }
    var media = local ? Promise.resolve(local) : openCamera();
    return media.then(function (stream) {
      if (!stream) return null;
      if (s.present.indexOf(other) < 0) {
        sawOther = false;
        if (!pc || pc.connectionState !== "connected") show("waiting");
        return null;
      }
      if (isOfficer) {
        if (pendingReady) { pendingReady = false; return call(); }
      } else if (!sawOther) {
        sawOther = true;
        send("ready");
      }
      return null;
    });
  }

  function openCamera() {
    show("camera");
    return navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (stream) {
      local = stream;
      localVideo.srcObject = stream;
      return stream;
    }, function () { show("nocamera"); return null; });
  }

  function newPeer() {
    // a new call has new remote tracks: a recording of the old one is finished and uploaded
    if (recorder && recorder.state !== "inactive") recorder.stop();
    hangup();
    var p = new RTCPeerConnection({ iceServers: iceServers });
    remote = new MediaStream();
    remoteVideo.srcObject = remote;
    p.ontrack = function (ev) { remote.addTrack(ev.track); };
    p.onicecandidate = function (ev) { if (ev.candidate) send("candidate", ev.candidate.toJSON()); };
    p.onconnectionstatechange = function () {
      show(p.connectionState, p.connectionState);
      if (p.connectionState === "connected") connected();
      // the officer calls again when a call fails while the applicant is still there
      if (p.connectionState === "failed" && isOfficer && otherPresent) {
        queue = queue.then(call).catch(function () { return null; });
      }
    };
    local.getTracks().forEach(function (t) { p.addTrack(t, local); });
    pc = p;
    return p;
  }

  function hangup() {
    if (!pc) return;
    pc.ontrack = pc.onicecandidate = pc.onconnectionstatechange = null;
    pc.close();
    pc = null;
  }

  function call() {
    var p = newPeer();
    return p.createOffer().then(function (offer) {
      return p.setLocalDescription(offer).then(function () {
        send("offer", { type: offer.type, sdp: offer.sdp });
      });
    });
  }

  function onSignal(msg) {
    var d = msg.data || {};
    if (msg.kind === "ready" && isOfficer) {
      if (local) return call();
      pendingReady = true;
      return null;
    }
    if (msg.kind === "offer" && !isOfficer && local) {
      var p = newPeer();
      return p.setRemoteDescription(d).then(function () { return p.createAnswer(); })
        .then(function (answer) {
          return p.setLocalDescription(answer).then(function () {
            send("answer", { type: answer.type, sdp: answer.sdp });
          });
        });
    }
    if (msg.kind === "answer" && isOfficer && pc) return pc.setRemoteDescription(d);
    if (msg.kind === "candidate" && pc) return pc.addIceCandidate(d).catch(function () { return null; });
    if (msg.kind === "bye") { hangup(); sawOther = false; show("waiting"); }
    return null;
  }

  // ------------------------------------------------------------------ the officer's part

  function post(url, body, type) {
    var headers = { "X-CSRF-Token": csrf, "X-Puhui-Fetch": "1", Accept: "application/json" };
    if (type) headers["Content-Type"] = type;
    return fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin" });
  }

  function problem(r, fallback) {
    return r.json().then(function (j) { return j.detail || fallback; }, function () { return fallback; });
  }

  var recordBtn = room.querySelector("[data-action=record]");
  var stopBtn = room.querySelector("[data-action=stop]");
  var recState = room.querySelector("[data-testid=record-state]");
  var hashEl = room.querySelector("[data-testid=recording-hash]");
  var recorder = null, chunks = [];

  function connected() {
    if (!isOfficer) return;
    if (recordBtn && !recorder) recordBtn.disabled = false;
    if (reported) return;
    reported = true;
    post(room.dataset.connectedUrl, null, null).then(function (r) {
      if (!r.ok) { reported = false; return; }
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "refresh" }));
    });
  }

  function upload() {
    var blob = new Blob(chunks, { type: "video/webm" });
    recState.textContent = L("uploading");
    post(room.dataset.recordingUrl, blob, "video/webm").then(function (r) {
      if (r.ok) {
        return r.json().then(function (j) { hashEl.textContent = j.sha256; recState.textContent = L("uploaded"); });
      }
      return problem(r, L("failedSave")).then(function (text) { recState.textContent = text; });
    }).catch(function () { recState.textContent = L("failedSave"); })
      .then(function () { recorder = null; recordBtn.disabled = false; });
  }

  if (isOfficer && recordBtn && stopBtn) {
    recordBtn.addEventListener("click", function () {
      if (!remote || !remote.getTracks().length) return;
      var types = ["video/webm;codecs=vp8,opus", "video/webm"];
      var mime = types.filter(function (t) { return MediaRecorder.isTypeSupported(t); })[0];
      chunks = [];
      recorder = mime ? new MediaRecorder(remote, { mimeType: mime }) : new MediaRecorder(remote);
      recorder.ondataavailable = function (ev) { if (ev.data && ev.data.size) chunks.push(ev.data); };
      recorder.onstop = upload;
      recorder.start(1000);
      recordBtn.disabled = true;
      stopBtn.disabled = false;
      recState.textContent = L("recording");
    });
    stopBtn.addEventListener("click", function () {
      stopBtn.disabled = true;
      if (recorder && recorder.state !== "inactive") recorder.stop();
    });
  }

  var checklist = document.querySelector("form[data-role=checklist]");
  if (checklist) {
    var saved = checklist.querySelector("[data-testid=checklist-state]");
    checklist.addEventListener("submit", function (ev) {
      ev.preventDefault();
      post(checklist.action, new FormData(checklist), null).then(function (r) {
        if (r.ok) { saved.textContent = L("saved"); return null; }
        return problem(r, L("failedSave")).then(function (text) { saved.textContent = text; });
      }, function () { saved.textContent = L("failedSave"); });
    });
  }

  window.addEventListener("pagehide", function () { send("bye"); });
  show("consent", "new");
  connect();
})();
