import { session, streamIdFromPath } from "./api.js";
import { Realtime } from "./realtime.js";
import { ensureSignedIn } from "./signin.js";
import { $, ackError, chatLine, el, showError } from "./ui.js";

const streamId = streamIdFromPath();
let room = null;

function addMessage(message) {
  const remove = el("button", {
    type: "button",
    "aria-label": `Delete message from ${message.display_name}`,
    onclick: async () => {
      const ack = await room.emit("delete_message", { message_id: message.id });
      if (!ackError(ack)) line.remove();
    },
  }, "Delete");
  const line = chatLine(message, [remove]);
  $("#chat").append(line);
  $("#chat").scrollTop = $("#chat").scrollHeight;
}

async function join() {
  const ack = await room.emit("join", { stream_id: streamId });
  if (ackError(ack)) return;
  $("#title").textContent = `Chat · ${ack.state.stream.title}`;
  $("#status").textContent = ack.state.stream.status;
  $("#viewers").textContent = `${ack.state.viewers} watching`;
  $("#chat").replaceChildren();
  ack.state.messages.forEach(addMessage);
}

async function main() {
  const user = await ensureSignedIn({ title: "Sign in to moderate" });
  $("#who").textContent = `${user.display_name} (${user.role})`;
  room = new Realtime(session.token);
  room
    .on("chat_message", addMessage)
    .on("message_deleted", ({ message_id }) => document.querySelector(`#chat [data-id="${Number(message_id)}"]`)?.remove())
    .on("viewer_count", ({ count }) => { $("#viewers").textContent = `${count} watching`; })
    .on("stream_status", ({ status }) => { $("#status").textContent = status; })
    .on("connect_error", () => { session.clear(); location.reload(); });
  room.onReconnect = join;
  await room.connect();
  await join();
}

main().catch(showError);
