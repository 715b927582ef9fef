// The 1:1 video session: WebRTC between the two browsers, signalled over the session socket.
// The stylist makes the offer once both are in the room: whoever arrives says "hello", the
// other answers "welcome", and the stylist offers on whichever of the two it hears.
(function () {
  "use strict";
  var root = document.querySelector("[data-video-session]");
  if (!root) return;
  var role = root.dataset.role;
  var statusLine = root.querySelector("[data-call-status]");
  var localVideo = root.querySelector("[data-local-video]");
  var remoteVideo = root.querySelector("[data-remote-video]");
  var iceServers = JSON.parse(document.getElementById("ice-servers").textContent);
  var socket = null;
  var pc = null;
  var localStream = null;
  var pendingCandidates = [];
  var ended = false;

  var text = window.Frontline.text; // the page's language (frontline.js)
  function say(words) { statusLine.textContent = words; }
  function send(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  function newPeerConnection() {
    if (pc) pc.close();
    pendingCandidates = [];
    pc = new RTCPeerConnection({ iceServers: iceServers });
    window.frontlineCall = { pc: pc };
    localStream.getTracks().forEach(function (track) { pc.addTrack(track, localStream); });
    pc.onicecandidate = function (event) {
      if (event.candidate) send({ type: "ice", candidate: event.candidate.toJSON() });
    };
    pc.ontrack = function (event) { remoteVideo.srcObject = event.streams[0]; };
    pc.onconnectionstatechange = function () {
      root.dataset.state = pc.connectionState;
      if (pc.connectionState === "connected") say(text("Connected."));
      if (pc.connectionState === "failed") say(text("The connection failed. Try again, or call the store."));
    };
    return pc;
  }

  async function makeOffer() {
    // "hello" and "welcome" can both reach the stylist (a socket that reconnects says hello
    // again): a call that is up or coming up is kept, not replaced by a second offer.
    if (pc && ["connecting", "connected"].indexOf(pc.connectionState) !== -1) return;
    newPeerConnection();
    var offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    send({ type: "offer", sdp: pc.localDescription.sdp });
    say(text("Calling…"));
  }

  async function takeOffer(sdp) {
    newPeerConnection();
    await pc.setRemoteDescription({ type: "offer", sdp: sdp });
    await flushCandidates();
    var answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    send({ type: "answer", sdp: pc.localDescription.sdp });
  }

  async function flushCandidates() {
    while (pendingCandidates.length) await pc.addIceCandidate(pendingCandidates.shift());
  }

  async function onFrame(frame) {
    switch (frame.type) {
      case "joined":
        say(role === "stylist" ? text("Waiting for your customer…") : text("Waiting for your stylist…"));
        send({ type: "hello" });
        break;
      case "hello":
        send({ type: "welcome" });
        if (role === "stylist") await makeOffer();
        break;
      case "welcome":
        if (role === "stylist") await makeOffer();
        break;
      case "offer":
        if (role === "customer") await takeOffer(frame.sdp);
        break;
      case "answer":
        if (role === "stylist" && pc) { await pc.setRemoteDescription({ type: "answer", sdp: frame.sdp }); await flushCandidates(); }
        break;
      case "ice":
        // Candidates can arrive before the description they belong to: keep them until then.
        if (pc && pc.remoteDescription) await pc.addIceCandidate(frame.candidate);
        else pendingCandidates.push(frame.candidate);
        break;
      case "lookbook": {
        // The stylist changed the shared lookbook: htmx fetches it again (see _lookbook_shown.html).
        const lookbook = document.querySelector("[data-lookbook]");
        if (lookbook && window.htmx) window.htmx.trigger(lookbook, "lookbook-changed");
        break;
      }
      case "bye":
        if (pc) { pc.close(); pc = null; }
        remoteVideo.srcObject = null;
        root.dataset.state = "ended";
        say(text("The call has ended."));
        break;
      case "left":
        // A socket closing after "bye" is the end of the call, not a dropped line.
        if (root.dataset.state === "ended") break;
        if (pc) { pc.close(); pc = null; }
        remoteVideo.srcObject = null;
        root.dataset.state = "waiting";
        say(text("The other side left. Waiting for them to come back…"));
        break;
    }
  }

  function openSocket() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.dataset.socketPath);
    socket.onmessage = function (event) {
      onFrame(JSON.parse(event.data)).catch(function (error) { say(text("Something went wrong: %(reason)s", { reason: error.message })); });
    };
    socket.onclose = function (event) {
      if (ended) return;
      if (event.code === 4403) { say(text("This video room is not open to you now.")); return; }
      say(text("Connection lost; reconnecting…"));
      setTimeout(openSocket, 2000);
    };
  }

  async function listDevices() {
    var devices = await navigator.mediaDevices.enumerateDevices();
    root.querySelectorAll("select[data-device]").forEach(function (select) {
      var current = localStream.getTracks().filter(function (t) { return select.dataset.device.indexOf(t.kind) === 0; })[0];
      var currentId = current && current.getSettings().deviceId;
      select.innerHTML = "";
      devices.filter(function (d) { return d.kind === select.dataset.device; }).forEach(function (device, index) {
        var option = new Option(device.label || (select.dataset.device + " " + (index + 1)), device.deviceId);
        option.selected = device.deviceId === currentId;
        select.add(option);
      });
      select.onchange = function () { switchDevice(select.dataset.device, select.value); };
    });
  }

  async function switchDevice(kind, deviceId) {
    var isVideo = kind === "videoinput";
    var constraints = isVideo ? { video: { deviceId: { exact: deviceId } } } : { audio: { deviceId: { exact: deviceId } } };
    var stream = await navigator.mediaDevices.getUserMedia(constraints);
    var track = stream.getTracks()[0];
    var old = localStream.getTracks().filter(function (t) { return t.kind === track.kind; })[0];
    localStream.removeTrack(old); old.stop(); localStream.addTrack(track);
    if (pc) pc.getSenders().forEach(function (sender) { if (sender.track && sender.track.kind === track.kind) sender.replaceTrack(track); });
  }

  root.querySelectorAll("[data-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      var kind = button.dataset.toggle;
      var off = button.getAttribute("aria-pressed") !== "true";
      localStream.getTracks().forEach(function (t) { if (t.kind === kind) t.enabled = !off; });
      button.setAttribute("aria-pressed", String(off));
      button.textContent = kind === "audio" ? (off ? text("Unmute") : text("Mute")) :
        (off ? text("Camera on") : text("Camera off"));
    });
  });
  root.querySelector("[data-hang-up]").addEventListener("click", function () {
    ended = true;
    send({ type: "bye" });
    if (pc) pc.close();
    if (socket) socket.close();
    localStream.getTracks().forEach(function (t) { t.stop(); });
    root.dataset.state = "ended";
    say(text("You ended the call."));
  });

  navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (stream) {
    localStream = stream;
    localVideo.srcObject = stream;
    listDevices();
    openSocket();
  }).catch(function () {
    say(text("We could not use your camera or microphone. Allow them in your browser, then reload."));
  });
})();
