import { APIRequestContext, expect, Page } from "@playwright/test";
import { existsSync } from "node:fs";
import { createServer } from "node:net";

/** The shared SCIM targets: $SCIM_TARGETS_DIR, beside the repository, or /work/shared. */
export function targets(): string {
  for (const dir of [process.env.SCIM_TARGETS_DIR, "../../shared/targets", "/work/shared/targets"]) {
    if (dir && existsSync(`${dir}/scim2-server/start.sh`)) return dir;
  }
  throw new Error("the shared SCIM targets (scim2-server) were not found: set SCIM_TARGETS_DIR");
}

/** A TCP port nothing listens on now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const ADMIN = { email: "admin@example.com", password: "e2e admin password", name: "Avery Admin" };

export const NAV = [
  { label: "Overview", path: "/", heading: "Overview" },
  { label: "Users", path: "/users", heading: "Users" },
  { label: "Groups", path: "/groups", heading: "Groups" },
  { label: "Enterprise applications", path: "/applications", heading: "Enterprise applications" },
  { label: "Provisioning logs", path: "/provisioning-logs", heading: "Provisioning logs" },
  { label: "Audit logs", path: "/audit-logs", heading: "Audit logs" },
  { label: "Settings", path: "/settings", heading: "Settings" },
];

/** Waits until the WASM bundle has hydrated the page, so clicks run through Leptos. */
export async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated=true]")).toHaveCount(1);
}

export async function signIn(page: Page, password = ADMIN.password) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
}

/** Creates a token of `kind` ("api" or "scim") through the portal's own server function. */
export async function token(page: Page, kind: "api" | "scim", name: string): Promise<string> {
  const body = new URLSearchParams({ kind, name });
  if (kind === "api") body.set("role", "global_administrator");
  const text = await page.evaluate(async (b) => {
    const r = await fetch("/api/token_create", { method: "POST", body: new URLSearchParams(b) });
    if (!r.ok) throw new Error(`token_create: ${r.status} ${await r.text()}`);
    return r.text();
  }, body.toString());
  return JSON.parse(text);
}

/** `count` directory users through the inbound SCIM endpoint, 25 at a time; their ids. */
export async function users(scim: APIRequestContext, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, count - start) }, (_, k) => {
        const n = `${prefix}${String(start + k).padStart(4, "0")}`;
        return scim
          .post("/scim/v2/Users", {
            data: {
              schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
              userName: `${n}@example.com`,
              displayName: `Person ${n}`,
              name: { givenName: "Person", familyName: n },
              emails: [{ value: `${n}@example.com`, type: "work", primary: true }],
              active: true,
            },
          })
          .then(async (r) => {
            expect(r.status()).toBe(201);
            ids[start + k] = (await r.json()).id;
          });
      }),
    );
  }
  return ids;
}

/** A custom SCIM application pointed at `url` with `secret`, in automatic mode, with
 * `settings` over its defaults (by default every user in scope); its id. */
export async function application(
  api: APIRequestContext,
  name: string,
  url: string,
  secret: string,
  settings: Record<string, unknown> = { scope: "all" },
): Promise<string> {
  const created = await api.post("/api/v1/applications", { data: { gallery_id: "custom-scim", name } });
  expect(created.status()).toBe(201);
  const app = await created.json();
  const id: string = app.id;
  const creds = await api.put(`/api/v1/applications/${id}/credentials`, {
    data: { version: app.version, values: { tenant_url: url, secret_token: secret } },
  });
  expect(creds.status()).toBe(204);
  let current = await (await api.get(`/api/v1/applications/${id}`)).json();
  const mode = await api.patch(`/api/v1/applications/${id}`, {
    data: { version: current.version, provisioning_mode: "automatic" },
  });
  expect(mode.status()).toBe(200);
  current = await (await api.get(`/api/v1/applications/${id}`)).json();
  const saved = await api.put(`/api/v1/applications/${id}/settings`, {
    data: { version: current.version, settings: { ...current.settings, ...settings } },
  });
  expect(saved.status()).toBe(200);
  return id;
}
