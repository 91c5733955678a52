// The pages import the official Socket.IO client by the URL the server serves it at
// (server/edge/http/pages.py); its types are the npm package's own.
declare module "*/vendor/socket.io.esm.min.js" {
  export * from "socket.io-client";
}

// hls.js (the viewer page's LL-HLS fallback, web/static/js/watch_hls.js), by its served URL.
declare module "*/vendor/hls.min.mjs" {
  export { default } from "hls.js";
  export * from "hls.js";
}
