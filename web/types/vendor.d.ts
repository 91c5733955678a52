// The pages import the official Socket.IO client by the URL the server serves it at
// (server/edge/http/pages.py); its types are the npm package's own.
declare module "*/vendor/socket.io.esm.min.js" {
  export * from "socket.io-client";
}
