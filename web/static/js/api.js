// JSON API calls and the session kept in localStorage.

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export const session = {
  get token() { return localStorage.getItem("shopcast.token"); },
  get user() { return JSON.parse(localStorage.getItem("shopcast.user") || "null"); },
  save(token, user) {
    localStorage.setItem("shopcast.token", token);
    localStorage.setItem("shopcast.user", JSON.stringify(user));
  },
  clear() {
    localStorage.removeItem("shopcast.token");
    localStorage.removeItem("shopcast.user");
  },
};

export async function api(method, path, body, token = session.token) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError("network", "cannot reach the server", 0);
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = (data && data.error) || { code: "http_" + response.status, message: response.statusText };
    throw new ApiError(error.code, error.message, response.status);
  }
  return data;
}

export async function signIn(email, password) {
  const { token, user } = await api("POST", "/api/auth/login", { email, password }, null);
  session.save(token, user);
  return user;
}

export async function continueAsGuest(displayName) {
  const { token, user } = await api("POST", "/api/auth/guest", { display_name: displayName }, null);
  session.save(token, user);
  return user;
}

export function streamIdFromPath() {
  const id = Number(location.pathname.split("/").filter(Boolean).pop());
  return Number.isInteger(id) && id > 0 ? id : null;
}
