/**
 * Turns a connection's trace events into the facts the page draws: flights
 * of records with their bytes, each protected record paired with its
 * plaintext, the key schedule, application data totals and the failure.
 *
 * Memory stays bounded on a long transfer: only the first few
 * application-data records keep their bytes; later ones are folded into a
 * count.
 *
 * @module
 */

import type { Role, TraceEvent } from "../ssl/engine.ts";

/** Application-data records per direction that keep their bytes. */
export const APP_RECORDS_SHOWN = 3;
/** Application data kept per direction for the page (the rest is counted). */
export const APP_DATA_SHOWN = 384;
/** Records waiting for their plaintext before they are taken as sent in the clear. */
const UNCLAIMED_KEPT = 32;

/** The inner plaintext of a protected record. */
export interface RecordPlaintext {
  contentType: string;
  content: Uint8Array;
  padding: number;
}

/** One record on the wire. */
export interface RecordView {
  kind: "record";
  /** 1-based, per connection, both directions. */
  number: number;
  /** Milliseconds since the first event. */
  time: number;
  direction: "in" | "out";
  contentType: string;
  length: number;
  bytes?: Uint8Array;
  plaintext?: RecordPlaintext;
}

/** Application-data records summarised instead of shown. */
export interface FoldedRecords {
  kind: "folded";
  direction: "in" | "out";
  count: number;
  /** Bytes on the wire, headers included. */
  wireBytes: number;
  firstTime: number;
  lastTime: number;
}

/** A handshake message (or CCS/Alert) as the engine named it. */
export interface MessageView {
  direction: "in" | "out";
  name: string;
  length: number;
  detail?: string;
}

/** Records in one direction without a record the other way in between. */
export interface Flight {
  direction: "in" | "out";
  /** Application-data records past the first few, both directions, as counts. */
  bulk?: true;
  items: (RecordView | FoldedRecords)[];
  messages: MessageView[];
}

/** One step of the key schedule. */
export interface SecretStep {
  name: string;
  value: Uint8Array;
  derivation: string;
  transcriptHash?: Uint8Array;
}

/** Record protection installed for one direction. */
export interface KeysStep {
  direction: "read" | "write";
  cipher: string;
  secret: Uint8Array;
  key: Uint8Array;
  iv: Uint8Array;
  /** The flight count when the keys were installed (where the page places them). */
  atFlight: number;
}

/** Why and where the connection failed. */
export interface FailureView {
  alert: string;
  sent: boolean;
  received: boolean;
  reason: string;
  time: number;
  /** The last handshake message before the failure, as the engine named it. */
  lastMessage?: MessageView;
  /** Index of the flight the failure follows. */
  afterFlight: number;
}

/** Application data in one direction. */
export interface DataTotals {
  chunks: number;
  bytes: number;
  /** The first {@link APP_DATA_SHOWN} bytes. */
  head: Uint8Array;
}

/**
 * Collects the events of one connection.
 */
export class TraceCollector {
  readonly role: Role;
  readonly startedAt = new Date();
  readonly flights: Flight[] = [];
  readonly secrets: SecretStep[] = [];
  readonly keys: KeysStep[] = [];
  readonly data: Record<"in" | "out", DataTotals> = {
    in: { chunks: 0, bytes: 0, head: new Uint8Array(0) },
    out: { chunks: 0, bytes: 0, head: new Uint8Array(0) },
  };
  /** Wire bytes and records per direction. */
  readonly wire = { in: { records: 0, bytes: 0 }, out: { records: 0, bytes: 0 } };
  failure: FailureView | undefined;
  readonly #t0 = performance.now();
  #records = 0;
  #pendingOutMessages: MessageView[] = [];
  #lastMessage: MessageView | undefined;
  // Records still waiting for their plaintext, and plaintext waiting for its record.
  readonly #unmatched: Record<"in" | "out", RecordView[]> = { in: [], out: [] };
  readonly #early: Record<"in" | "out", (RecordPlaintext & { outerType: string; outerLength: number })[]> = {
    in: [],
    out: [],
  };
  readonly #appRecords = { in: 0, out: 0 };

  constructor(role: Role) {
    this.role = role;
  }

  /** Milliseconds since the collector was made. */
  #now(): number {
    return Math.round((performance.now() - this.#t0) * 10) / 10;
  }

  /** Takes one trace event. */
  add(event: TraceEvent): void {
    switch (event.kind) {
      case "record":
        return this.#onRecord(event.direction, event.contentType, event.length, event.bytes);
      case "plaintext":
        return this.#onPlaintext(event.direction, { ...event });
      case "message": {
        const m: MessageView = { direction: event.direction, name: event.name, length: event.length };
        if (event.detail) m.detail = event.detail;
        if (m.name !== "Alert") this.#lastMessage = m; // a failure names the message, not its own alert
        if (event.direction === "out") this.#pendingOutMessages.push(m);
        else this.#flight("in").messages.push(m);
        return;
      }
      case "secret":
        this.secrets.push({ ...event });
        return;
      case "keys":
        this.keys.push({ ...event, atFlight: this.flights.length });
        return;
      case "data":
        return this.#onData(event.direction, event.bytes);
      case "failure":
        this.failure ??= {
          ...event,
          time: this.#now(),
          lastMessage: this.#lastMessage,
          afterFlight: this.flights.length - 1,
        };
        return;
    }
  }

  /** The current flight in `direction`, starting a new one when the direction changes. */
  #flight(direction: "in" | "out"): Flight {
    const last = this.flights.at(-1);
    if (last && !last.bulk && last.direction === direction) return last;
    const flight: Flight = { direction, items: [], messages: [] };
    this.flights.push(flight);
    return flight;
  }

  #onRecord(direction: "in" | "out", contentType: string, length: number, bytes?: Uint8Array): void {
    this.wire[direction].records++;
    this.wire[direction].bytes += 5 + length;
    const flight = this.#flight(direction);
    if (direction === "out" && this.#pendingOutMessages.length) {
      flight.messages.push(...this.#pendingOutMessages);
      this.#pendingOutMessages = [];
    }
    const rec: RecordView = {
      kind: "record",
      number: ++this.#records,
      time: this.#now(),
      direction,
      contentType,
      length,
    };
    if (bytes) rec.bytes = bytes;
    flight.items.push(rec);
    // Outgoing plaintext is traced before its record; incoming after.
    const early = this.#early[direction];
    if (early.length && early[0].outerType === contentType && early[0].outerLength === length) {
      const { contentType: inner, content, padding } = early.shift()!;
      this.#attach(rec, { contentType: inner, content, padding });
    } else {
      const queue = this.#unmatched[direction];
      queue.push(rec);
      // An engine that traces no plaintext (or a record sent in the clear)
      // leaves records unclaimed: past a few, the outer type is the real one.
      if (queue.length > UNCLAIMED_KEPT) {
        const old = queue.shift()!;
        if (old.contentType === "application_data") this.#attach(old, undefined);
      }
    }
  }

  #onPlaintext(
    direction: "in" | "out",
    p: RecordPlaintext & { outerType: string; outerLength: number },
  ): void {
    const queue = this.#unmatched[direction];
    // Records before the match were sent in the clear: they get no plaintext.
    const at = queue.findIndex((r) => r.contentType === p.outerType && r.length === p.outerLength);
    if (at < 0) {
      this.#early[direction].push(p);
      return;
    }
    const rec = queue[at];
    queue.splice(0, at + 1);
    this.#attach(rec, { contentType: p.contentType, content: p.content, padding: p.padding });
  }

  #attach(rec: RecordView, plaintext: RecordPlaintext | undefined): void {
    if (plaintext) rec.plaintext = plaintext;
    if ((plaintext?.contentType ?? rec.contentType) !== "application_data") return;
    const flight = this.flights.findLast((f) => f.items.includes(rec));
    if (flight) this.#countApp(rec, flight);
  }

  /**
   * Past the first few application-data records, a record becomes a count
   * in a bulk "flight" that takes both directions, so that a long exchange
   * of data is one line however it alternates.
   */
  #countApp(rec: RecordView, flight: Flight): void {
    if (++this.#appRecords[rec.direction] <= APP_RECORDS_SHOWN) return;
    let at = this.flights.lastIndexOf(flight);
    flight.items.splice(flight.items.lastIndexOf(rec), 1);
    if (!flight.items.length && !flight.messages.length) this.flights.splice(at, 1);
    else at++;
    const before = this.flights[at - 1], after = this.flights[at];
    let bulk = before?.bulk ? before : after?.bulk ? after : undefined;
    if (!bulk) {
      bulk = { direction: rec.direction, bulk: true, items: [], messages: [] };
      this.flights.splice(at, 0, bulk);
    } else if (before?.bulk && after?.bulk) {
      for (const f of after.items) this.#fold(before, f as FoldedRecords);
      this.flights.splice(at, 1);
    }
    this.#fold(bulk, {
      kind: "folded",
      direction: rec.direction,
      count: 1,
      wireBytes: 5 + rec.length,
      firstTime: rec.time,
      lastTime: rec.time,
    });
  }

  #fold(bulk: Flight, one: FoldedRecords): void {
    const into = bulk.items.find((i): i is FoldedRecords => i.kind === "folded" && i.direction === one.direction);
    if (!into) {
      bulk.items.push({ ...one });
      return;
    }
    into.count += one.count;
    into.wireBytes += one.wireBytes;
    into.firstTime = Math.min(into.firstTime, one.firstTime);
    into.lastTime = Math.max(into.lastTime, one.lastTime);
  }

  #onData(direction: "in" | "out", bytes: Uint8Array): void {
    const d = this.data[direction];
    d.chunks++;
    d.bytes += bytes.length;
    if (d.head.length < APP_DATA_SHOWN) {
      const head = new Uint8Array(Math.min(APP_DATA_SHOWN, d.head.length + bytes.length));
      head.set(d.head);
      head.set(bytes.subarray(0, head.length - d.head.length), d.head.length);
      d.head = head;
    }
  }

  /** Every record shown with its bytes, in order. */
  *records(): Generator<RecordView> {
    for (const f of this.flights) for (const item of f.items) if (item.kind === "record") yield item;
  }

  /** Messages the engine built that never went out (a flight cut short by a failure). */
  get unsentMessages(): readonly MessageView[] {
    return this.#pendingOutMessages;
  }
}
