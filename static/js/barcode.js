/* Scan a barcode with the tablet camera where the browser offers BarcodeDetector.
   Without it (or without a camera) the button stays hidden and typing the code works as before. */
(function () {
  "use strict";
  var button = document.querySelector("[data-barcode-scan]");
  if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) {
    return;
  }
  var input = document.querySelector(button.getAttribute("data-barcode-scan"));
  var video = document.querySelector("[data-barcode-preview]");
  var status = document.querySelector("[data-barcode-status]");
  var stream = null;

  var text = window.Frontline.text; // the page's language (frontline.js)
  function say(words) { if (status) { status.textContent = words; } }

  function stop() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
  }

  function found(code) {
    stop();
    input.value = code;
    say(text("Scanned %(code)s", { code: code }));
    input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit();
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    if (stream) { stop(); say(""); return; }
    var detector = new window.BarcodeDetector();
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      say(text("Point the camera at the barcode, or type it."));
      return video.play().then(function scan() {
        if (!stream) { return; }
        detector.detect(video).then(function (codes) {
          if (codes.length) { found(codes[0].rawValue); } else { window.requestAnimationFrame(scan); }
        }).catch(function () { window.requestAnimationFrame(scan); });
      });
    }).catch(function () {
      stop();
      say(text("The camera is not available: type the barcode instead."));
    });
  });
})();
