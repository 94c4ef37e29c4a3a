/**
 * Opens local pages in Debian's headless `chromium` and drives it over the
 * DevTools protocol (a WebSocket on loopback): load a file, collect script
 * errors, evaluate expressions, take a screenshot. No browser download.
 */

/** Whether a `chromium` binary is on PATH. */
export async function hasChromium(): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", { args: ["-c", "command -v chromium"], stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** The fields of the DevTools events read here. */
interface CdpEventParams {
  type?: string;
  args?: { value?: unknown }[];
  exceptionDetails?: { text?: string; exception?: { description?: string } };
  entry?: { level?: string; source?: string; text?: string };
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

/** What a loaded page reported. */
export interface LoadedPage {
  /** Uncaught exceptions and console errors while loading. */
  errors: string[];
  /** Evaluates an expression in the page (JSON-serialisable result). */
  evaluate<T>(expression: string): Promise<T>;
  /** Writes a PNG of the page's top `height` pixels (scaled by `scale`) to `path`. */
  screenshot(path: string, height?: number, scale?: number): Promise<void>;
}

/** One headless Chromium with a fresh profile, stopped by {@link close}. */
export class HeadlessChromium {
  readonly #child: Deno.ChildProcess;
  readonly #profile: string;
  #ws: WebSocket | undefined;
  #id = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners: ((msg: Record<string, unknown>) => void)[] = [];

  private constructor(child: Deno.ChildProcess, profile: string) {
    this.#child = child;
    this.#profile = profile;
  }

  /** Starts Chromium (flags that make it quiet, offline and root-safe) and connects. */
  static async start(): Promise<HeadlessChromium> {
    const profile = await Deno.makeTempDir({ prefix: "chromium-profile-" });
    const child = new Deno.Command("chromium", {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        `--user-data-dir=${profile}`,
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "--window-size=1280,900",
        "about:blank",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const browser = new HeadlessChromium(child, profile);
    const deadline = Date.now() + 30000;
    let endpoint: string | undefined;
    while (!endpoint) {
      try {
        const [port, path] = (await Deno.readTextFile(`${profile}/DevToolsActivePort`)).trim().split("\n");
        if (port && path) endpoint = `ws://127.0.0.1:${port}${path}`;
      } catch { /* not written yet */ }
      if (!endpoint) {
        if (Date.now() > deadline) {
          await browser.close();
          throw new Error("chromium did not open its DevTools port");
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await browser.#connect(endpoint);
    return browser;
  }

  #connect(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = this.#ws = new WebSocket(url);
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("cannot connect to chromium's DevTools"));
      ws.onmessage = (e) => {
        const msg = JSON.parse(e.data as string);
        if (typeof msg.id === "number" && this.#pending.has(msg.id)) {
          const p = this.#pending.get(msg.id)!;
          this.#pending.delete(msg.id);
          if (msg.error) p.reject(new Error(JSON.stringify(msg.error)));
          else p.resolve(msg.result ?? {});
        } else {
          for (const l of this.#listeners) l(msg);
        }
      };
    });
  }

  #send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#ws!.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  /** Loads `path` (a local file) in a new tab and waits for its load event. */
  async open(path: string): Promise<LoadedPage> {
    const { targetId } = await this.#send("Target.createTarget", { url: "about:blank" });
    const { sessionId } = await this.#send("Target.attachToTarget", { targetId, flatten: true }) as {
      sessionId: string;
    };
    const errors: string[] = [];
    let loaded!: () => void;
    const loadedP = new Promise<void>((r) => loaded = r);
    this.#listeners.push((msg) => {
      if (msg.sessionId !== sessionId) return;
      const params = msg.params as CdpEventParams;
      if (msg.method === "Runtime.exceptionThrown") {
        errors.push(params.exceptionDetails?.exception?.description ?? params.exceptionDetails?.text ?? "exception");
      } else if (msg.method === "Runtime.consoleAPICalled" && params.type === "error") {
        errors.push(params.args?.map((a) => String(a.value)).join(" ") ?? "console error");
      } else if (msg.method === "Log.entryAdded" && params.entry?.level === "error") {
        errors.push(`${params.entry?.source}: ${params.entry?.text}`);
      } else if (msg.method === "Page.loadEventFired") loaded();
    });
    await this.#send("Page.enable", {}, sessionId);
    await this.#send("Runtime.enable", {}, sessionId);
    await this.#send("Log.enable", {}, sessionId);
    await this.#send("Emulation.setDeviceMetricsOverride", {
      width: 1280,
      height: 900,
      deviceScaleFactor: 1,
      mobile: false,
    }, sessionId);
    await this.#send("Page.navigate", { url: `file://${path}` }, sessionId);
    await Promise.race([
      loadedP,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`${path} did not load`)), 30000)),
    ]);
    const send = this.#send.bind(this);
    return {
      errors,
      async evaluate<T>(expression: string): Promise<T> {
        const r = await send("Runtime.evaluate", { expression, returnByValue: true }, sessionId) as {
          result: { value: T };
          exceptionDetails?: { text: string };
        };
        if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
        return r.result.value;
      },
      async screenshot(file: string, height = 900, scale = 1): Promise<void> {
        const r = await send("Page.captureScreenshot", {
          format: "png",
          clip: { x: 0, y: 0, width: 1280, height, scale },
          captureBeyondViewport: true,
        }, sessionId) as { data: string };
        const bin = atob(r.data);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        await Deno.writeFile(file, bytes);
      },
    };
  }

  /** Stops the browser and removes its profile. */
  async close(): Promise<void> {
    try {
      this.#ws?.close();
    } catch { /* already closed */ }
    try {
      this.#child.kill("SIGKILL");
    } catch { /* already gone */ }
    await this.#child.status;
    for (const p of this.#pending.values()) p.reject(new Error("chromium closed"));
    await Deno.remove(this.#profile, { recursive: true }).catch(() => {});
  }
}
