// Joins a show's room with the official socket.io-client, says one thing, and reports (as one
// JSON line on stdout) what it heard until it has seen `expect` chat messages or time runs out.
// Usage: node room_client.mjs <url> <token> <stream_id> <text> <expect>
import { io } from "socket.io-client";

const [url, token, streamId, text, expect] = process.argv.slice(2);
const heard = { chat: [], frames: [], errors: [] };
const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false });

function chat(message) {
  heard.chat.push(message.text);
  if (heard.chat.length >= Number(expect)) finish(0);
}

socket.on("chat_message", (message) => { heard.frames.push("chat_message"); chat(message); });
socket.on("batch", (items) => {
  heard.frames.push("batch");
  for (const [name, data] of items) if (name === "chat_message") chat(data);
});
socket.on("connect_error", (err) => { heard.errors.push(String(err.message)); finish(1); });

function finish(code) {
  console.log(JSON.stringify(heard));
  socket.close();
  process.exit(code);
}

setTimeout(() => finish(2), 10000);
socket.on("connect", async () => {
  heard.join = await socket.emitWithAck("join", { stream_id: Number(streamId) });
  heard.bad = await socket.emitWithAck("send_message", { text: 42 });
  heard.unknown = await socket.emitWithAck("no_such_event", {});
  heard.sent = await socket.emitWithAck("send_message", { text });
  console.error("joined");
});
