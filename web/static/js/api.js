// @ts-check
// JSON API calls and who is signed in.
//
// The session token lives in the HttpOnly cookie `shopcast_session` the server sets at sign-in:
// no script of the page can read it, so an injected one cannot carry it off. The browser sends
// it with every same-origin request and the Socket.IO handshake. Writes echo the readable
// `shopcast_csrf` cookie in `X-CSRF-Token` (docs/protocol.md, Authentication). localStorage
// keeps only who is signed in and until when, to draw the page before the first answer.

const USER = "shopcast.user";

export class ApiError extends Error {
  /**
   * @param {string} code the server's stable error code (docs/protocol.md, "Errors")
   * @param {string} message
   * @param {number} status the HTTP status, 0 when the server was not reached
   */
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** @param {string} name */
function cookie(name) {
  const found = document.cookie.split("; ").find((pair) => pair.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

// Headers a write sends along: the CSRF value, when signed in by cookie.
/** @returns {Record<string, string>} */
export function csrfHeaders() {
  const csrf = cookie("shopcast_csrf");
  return csrf ? { "X-CSRF-Token": csrf } : {};
}

export const session = {
  get user() {
    const kept = JSON.parse(localStorage.getItem(USER) || "null");
    return kept && kept.until > Date.now() ? kept.user : null;
  },
  get signedIn() { return this.user !== null; },
  /**
   * @param {object} user
   * @param {number} expiresIn seconds
   */
  save(user, expiresIn) {
    localStorage.setItem(USER, JSON.stringify({ user, until: Date.now() + expiresIn * 1000 }));
  },
  // Forget who is signed in, here and in the cookies (the server drops them: a page cannot).
  async clear() {
    localStorage.removeItem(USER);
    localStorage.removeItem("shopcast.token");  // kept there by earlier versions of the pages
    await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin", headers: csrfHeaders() }).catch(() => {});
  },
};

/**
 * A JSON API call; a refusal throws an ApiError with the server's code.
 * @param {"GET" | "POST" | "PUT" | "PATCH" | "DELETE"} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  const headers = method === "GET" ? {} : csrfHeaders();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
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

/**
 * @param {string} path
 * @param {object} body
 */
async function startSession(path, body) {
  const { user, expires_in: expiresIn } = await api("POST", path, body);
  session.save(user, expiresIn);
  return user;
}

/**
 * @param {string} email
 * @param {string} password
 */
export function signIn(email, password) {
  return startSession("/api/auth/login", { email, password });
}

/** @param {string} displayName */
export function continueAsGuest(displayName) {
  return startSession("/api/auth/guest", { display_name: displayName });
}

/** @returns {number | null} */
export function streamIdFromPath() {
  const id = Number(location.pathname.split("/").filter(Boolean).pop());
  return Number.isInteger(id) && id > 0 ? id : null;
}
