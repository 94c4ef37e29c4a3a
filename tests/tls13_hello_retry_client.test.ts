/**
 * A client's checks of a HelloRetryRequest and of the ServerHello after it
 * (RFC 8446 §4.1.4), against hand-made server messages: the client offers
 * x25519 and secp256r1 with a share for x25519 only.
 */

import assert from "node:assert/strict";
import { Alert } from "../lib/ssl/alerts.ts";
import { ContentType, ExtensionType, Group, HandshakeType, HRR_RANDOM } from "../lib/protocol/constants.ts";
import {
  encodeAlpn,
  encodeServerHello,
  encodeServerKeyShare,
  encodeU16,
  type Extension,
  handshakeMessage,
  parseRawClientHello,
} from "../lib/protocol/messages.ts";
import { RecordWriter } from "../lib/engines/tls13/record.ts";
import { drain, type Side, side, throwsAlert } from "./fixtures/tls13/helpers.ts";

const TLS13 = { type: ExtensionType.supported_versions, data: encodeU16(0x0304) };
const askFor = (group: number): Extension => ({ type: ExtensionType.key_share, data: encodeU16(group) });

/** A client that has sent its first ClientHello, and that hello's session id. */
function started(): { client: Side; sessionId: Uint8Array } {
  const client = side({ role: "client", verifyPeer: false, alpnProtocols: ["h2"] }, {
    groups: ["x25519", "secp256r1"],
    keyShareGroups: ["x25519"],
  });
  client.engine.start();
  const wire = drain(client.outbox);
  return { client, sessionId: parseRawClientHello(wire.subarray(5 + 4)).sessionId };
}

/** Asserts the alert, and that the check named by `why` made it. */
function refuses(fn: () => void, alert: number, why: RegExp): void {
  assert.match(throwsAlert(fn, alert).message, why);
}

/** A plaintext ServerHello record; `hrr` makes it a HelloRetryRequest. */
function serverHello(sessionId: Uint8Array, extensions: Extension[], hrr = true, cipherSuite = 0x1301): Uint8Array {
  const body = encodeServerHello({
    legacyVersion: 0x0303,
    random: hrr ? HRR_RANDOM : new Uint8Array(32).fill(3),
    sessionId,
    cipherSuite,
    compressionMethod: 0,
    extensions,
  });
  return new RecordWriter().seal(ContentType.handshake, handshakeMessage(HandshakeType.server_hello, body));
}

Deno.test("RFC 8446 §4.1.4: a HelloRetryRequest for a group the client did not offer is illegal_parameter", () => {
  const { client, sessionId } = started();
  refuses(
    () => client.engine.receive(serverHello(sessionId, [TLS13, askFor(Group.secp384r1)])),
    Alert.illegal_parameter,
    /unusable group/,
  );
});

Deno.test("RFC 8446 §4.1.4: a HelloRetryRequest for the group the client already shared is illegal_parameter", () => {
  const { client, sessionId } = started();
  refuses(
    () => client.engine.receive(serverHello(sessionId, [TLS13, askFor(Group.x25519)])),
    Alert.illegal_parameter,
    /unusable group/,
  );
});

Deno.test("RFC 8446 §4.1.4: a HelloRetryRequest that would not change the ClientHello is illegal_parameter", () => {
  const { client, sessionId } = started();
  refuses(() => client.engine.receive(serverHello(sessionId, [TLS13])), Alert.illegal_parameter, /would not change/);
});

Deno.test("RFC 8446 §4.1.4: a second HelloRetryRequest is unexpected_message", () => {
  const { client, sessionId } = started();
  client.engine.receive(serverHello(sessionId, [TLS13, askFor(Group.secp256r1)]));
  refuses(
    () => client.engine.receive(serverHello(sessionId, [TLS13, askFor(Group.secp256r1)])),
    Alert.unexpected_message,
    /second HelloRetryRequest/,
  );
});

Deno.test("RFC 8446 §4.1.4: a ServerHello whose cipher suite differs from the HelloRetryRequest's is illegal_parameter", () => {
  const { client, sessionId } = started();
  client.engine.receive(serverHello(sessionId, [TLS13, askFor(Group.secp256r1)], true, 0x1301));
  const share = {
    type: ExtensionType.key_share,
    data: encodeServerKeyShare({ group: Group.secp256r1, keyExchange: new Uint8Array(65).fill(4) }),
  };
  refuses(
    () => client.engine.receive(serverHello(sessionId, [share, TLS13], false, 0x1302)),
    Alert.illegal_parameter,
    /suite changed after HelloRetryRequest/,
  );
});

Deno.test("RFC 8446 §4.2: an offered extension a HelloRetryRequest may not carry is illegal_parameter", () => {
  const { client, sessionId } = started();
  const alpn = { type: ExtensionType.alpn, data: encodeAlpn(["h2"]) };
  refuses(
    () => client.engine.receive(serverHello(sessionId, [TLS13, askFor(Group.secp256r1), alpn])),
    Alert.illegal_parameter,
    /not allowed in HelloRetryRequest/,
  );
});
