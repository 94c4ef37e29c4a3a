/**
 * The client side of the TLS 1.2 handshake (RFC 5246 §7.3), one type per
 * state:
 *
 * ```
 * ClientHello          -->
 *                      <--   ServerHello, Certificate, ServerKeyExchange,
 *                            [CertificateRequest], ServerHelloDone
 * [Certificate], ClientKeyExchange, [CertificateVerify],
 * ChangeCipherSpec, Finished -->
 *                      <--   ChangeCipherSpec, Finished
 * ```
 *
 * The ClientHello is either ours ({@link sendClientHello}) or one that
 * offered TLS 1.3 too and was answered with TLS 1.2
 * ({@link ExpectServerHello} built from it).
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { isIpLiteral } from "../../pki/x509.ts";
import { concat, constantTimeEqual, equalBytes } from "../../protocol/bytes.ts";
import { ExtensionType, HandshakeType, SIGNATURE_SCHEME_NAMES, Version } from "../../protocol/constants.ts";
import {
  type ClientHello,
  decodeClientHelloExtensions,
  encodeAlpn,
  encodeCertificateVerify,
  encodeClientHello,
  encodeServerName,
  encodeU16List,
  type Extension,
  parseServerHello,
  type RawClientHello,
} from "../../protocol/messages.ts";
import { type Credentials, groupName, loadCredentials, verifyPeerChain } from "../tls13/context.ts";
import {
  checkVerifyDataLength,
  chooseTls12Scheme,
  Connected,
  requireOfferedScheme,
  type Tls12Context,
  type Tls12State,
  unexpected,
} from "./context.ts";
import {
  type CertificateRequest12,
  encodeCertificate12,
  encodeClientKeyExchange,
  parseCertificate12,
  parseCertificateRequest12,
  parseServerKeyExchange,
} from "./messages.ts";
import { extendedMasterSecret, finishedVerifyData, recordProtections } from "./prf.ts";
import {
  ClientCertificateType,
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  Scsv,
  TLS12_SIGNATURE_SCHEMES,
  Tls12HandshakeType,
  type Tls12Suite,
} from "./suites.ts";
import {
  checkPointFormats,
  checkRenegotiationInfo,
  checkTls12ServerHelloExtensions,
  RENEGOTIATION_INFO_EMPTY,
} from "./extensions.ts";

/**
 * The TLS 1.2 extensions of a ClientHello: also added to a TLS 1.3
 * ClientHello that offers TLS 1.2 as well.
 */
export function tls12ClientExtensions(groups: readonly number[]): Extension[] {
  return [
    { type: ExtensionType.ec_point_formats, data: new Uint8Array([1, 0]) },
    { type: ExtensionType.extended_master_secret, data: new Uint8Array(0) },
    { type: ExtensionType.renegotiation_info, data: RENEGOTIATION_INFO_EMPTY },
    { type: ExtensionType.supported_groups, data: encodeU16List(groups) },
    { type: ExtensionType.signature_algorithms, data: encodeU16List(TLS12_SIGNATURE_SCHEMES) },
  ];
}

/**
 * Sends a TLS 1.2-only ClientHello and returns the state waiting for the ServerHello.
 */
export function sendClientHello(ctx: Tls12Context): Tls12State {
  const { config, options, crypto } = ctx;
  let exts: Extension[] = [];
  const host = config.serverName;
  if (host && !isIpLiteral(host)) exts.push({ type: ExtensionType.server_name, data: encodeServerName(host) });
  exts.push(...tls12ClientExtensions(options.groups));
  if (config.alpnProtocols?.length) exts.push({ type: ExtensionType.alpn, data: encodeAlpn(config.alpnProtocols) });
  if (options.clientHelloExtensions) exts = options.clientHelloExtensions(exts);
  const hello: RawClientHello = {
    legacyVersion: Version.TLS12,
    random: crypto.random(32),
    sessionId: new Uint8Array(0),
    // RFC 5746 §3.3: the SCSV says we support secure renegotiation (the extension says it too).
    cipherSuites: [...options.suites.map((s) => s.id), Scsv.emptyRenegotiationInfo],
    compressionMethods: new Uint8Array([0]),
    extensions: exts,
  };
  ctx.sendHandshake(HandshakeType.client_hello, encodeClientHello(hello), 0x0301);
  ctx.state("TLS client write client hello");
  return new ExpectServerHello(ctx, { ...hello, ...decodeClientHelloExtensions(hello.extensions) }, false);
}

/** What the ServerHello settled, carried through the rest of the handshake. */
interface Session {
  suite: Tls12Suite;
  /** The groups our ClientHello offered. */
  groups: number[];
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  alpn?: string;
}

/**
 * Waits for a TLS 1.2 ServerHello answering `hello` (already in the transcript).
 */
export class ExpectServerHello implements Tls12State {
  readonly expecting = "ServerHello";
  constructor(readonly ctx: Tls12Context, readonly hello: ClientHello, readonly offeredTls13: boolean) {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    if (type !== HandshakeType.server_hello) unexpected(this, type);
    const { ctx, hello } = this;
    const sh = parseServerHello(body);
    if (sh.legacyVersion !== Version.TLS12 || sh.supportedVersion !== undefined) {
      throw new TlsError(Alert.protocol_version, "server did not choose TLS 1.2");
    }
    // RFC 8446 §4.1.3: a TLS 1.3 server that answers TLS 1.2 to a TLS 1.3 offer has been tampered with;
    // DOWNGRD\x00 (a server settling on TLS 1.1 or below) is just as wrong in a TLS 1.2 ServerHello.
    const sentinel = sh.random.subarray(24);
    if (this.offeredTls13 && (equalBytes(sentinel, DOWNGRADE_TLS12) || equalBytes(sentinel, DOWNGRADE_TLS11))) {
      throw new TlsError(
        Alert.illegal_parameter,
        "server answered a TLS 1.3 offer with TLS 1.2 and the RFC 8446 §4.1.3 downgrade sentinel",
      );
    }
    const suite = ctx.options.suites.find((s) => s.id === sh.cipherSuite);
    if (!suite || !hello.cipherSuites.includes(sh.cipherSuite)) {
      throw new TlsError(Alert.illegal_parameter, "server chose a cipher suite we did not offer");
    }
    if (sh.compressionMethod !== 0) throw new TlsError(Alert.illegal_parameter, "server chose compression");
    if (sh.sessionId.length && equalBytes(sh.sessionId, hello.sessionId)) {
      throw new TlsError(Alert.illegal_parameter, "server resumed a session we never had");
    }
    const offered = new Set(hello.extensions.map((e) => e.type));
    for (const e of sh.extensions) {
      if (!offered.has(e.type)) {
        throw new TlsError(Alert.unsupported_extension, `server sent unoffered extension ${e.type}`);
      }
    }
    checkTls12ServerHelloExtensions(sh.extensions);
    if (!sh.renegotiationInfo) {
      throw new TlsError(Alert.handshake_failure, "server does not support secure renegotiation (RFC 5746)");
    }
    checkRenegotiationInfo(sh.renegotiationInfo);
    if (!sh.extendedMasterSecret) {
      throw new TlsError(
        Alert.handshake_failure,
        "server does not support the extended master secret (RFC 7627); refusing the handshake",
      );
    }
    if (sh.ecPointFormats) checkPointFormats(sh.ecPointFormats);
    const chosen = sh.alpn;
    if (chosen && (chosen.length !== 1 || !ctx.config.alpnProtocols?.includes(chosen[0]))) {
      throw new TlsError(Alert.illegal_parameter, "server chose an ALPN protocol we did not offer");
    }
    const alpn = chosen?.[0];
    ctx.transcript.add(raw);
    ctx.state("TLS client read server hello");
    return new ExpectCertificate(ctx, {
      suite,
      groups: hello.supportedGroups ?? [],
      clientRandom: hello.random,
      serverRandom: sh.random.slice(),
      alpn,
    });
  }
}

class ExpectCertificate implements Tls12State {
  readonly expecting = "server Certificate";
  constructor(readonly ctx: Tls12Context, readonly session: Session) {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    if (type !== HandshakeType.certificate) unexpected(this, type);
    const ctx = this.ctx;
    const chain = parseCertificate12(body);
    if (!chain.length) throw new TlsError(Alert.decode_error, "server sent no certificate");
    verifyPeerChain(chain, ctx.config, "server");
    ctx.transcript.add(raw);
    ctx.state("TLS client read server certificate");
    return new ExpectServerKeyExchange(ctx, this.session, chain);
  }
}

class ExpectServerKeyExchange implements Tls12State {
  readonly expecting = "ServerKeyExchange";
  constructor(readonly ctx: Tls12Context, readonly session: Session, readonly peerCerts: Uint8Array[]) {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    if (type !== Tls12HandshakeType.server_key_exchange) unexpected(this, type);
    const { ctx, session } = this;
    const ske = parseServerKeyExchange(body);
    // RFC 8422 §5.4: a curve we offered and can use in TLS 1.2 (a TLS 1.3 hello may list hybrid groups too).
    if (!session.groups.includes(ske.group) || !ctx.options.groups.includes(ske.group)) {
      throw new TlsError(
        Alert.illegal_parameter,
        `server chose a group we did not offer (0x${ske.group.toString(16)})`,
      );
    }
    requireOfferedScheme(ske.scheme, "ServerKeyExchange");
    const rsaScheme = (ske.scheme & 0xff) === 1 || (ske.scheme >> 8) === 8;
    if (rsaScheme !== (session.suite.auth === "rsa")) {
      throw new TlsError(Alert.illegal_parameter, "ServerKeyExchange signature does not match the cipher suite");
    }
    const signed = concat(session.clientRandom, session.serverRandom, ske.params);
    if (!ctx.crypto.verify(ske.scheme, this.peerCerts[0], signed, ske.signature)) {
      throw new TlsError(Alert.decrypt_error, "ServerKeyExchange signature is invalid");
    }
    ctx.transcript.add(raw);
    ctx.state("TLS client read server key exchange");
    return new ExpectHelloDone(ctx, { ...session, group: ske.group, serverPoint: ske.publicKey }, {
      peerCerts: this.peerCerts,
      scheme: ske.scheme,
    });
  }
}

interface KeyExchange extends Session {
  group: number;
  serverPoint: Uint8Array;
}

interface ServerAuth {
  peerCerts: Uint8Array[];
  scheme: number;
}

class ExpectHelloDone implements Tls12State {
  readonly expecting = "CertificateRequest or ServerHelloDone";
  #request: CertificateRequest12 | undefined;
  constructor(readonly ctx: Tls12Context, readonly kx: KeyExchange, readonly auth: ServerAuth) {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    const ctx = this.ctx;
    if (type === HandshakeType.certificate_request && !this.#request) {
      this.#request = parseCertificateRequest12(body);
      ctx.transcript.add(raw);
      ctx.state("TLS client read certificate request");
      return this;
    }
    if (type !== Tls12HandshakeType.server_hello_done) unexpected(this, type);
    if (body.length) throw new TlsError(Alert.decode_error, "ServerHelloDone is not empty");
    ctx.transcript.add(raw);
    ctx.state("TLS client read server done");
    return this.#sendFlight();
  }

  #sendFlight(): Tls12State {
    const { ctx, kx } = this;
    const { crypto } = ctx;
    const signer = this.#request ? this.#clientCredentials(this.#request) : undefined;
    if (this.#request) {
      ctx.sendHandshake(HandshakeType.certificate, encodeCertificate12(signer?.creds.chain ?? []));
      ctx.state(`TLS client write certificate${signer ? "" : " (none)"}`);
    }
    const share = crypto.generateKeyShare(kx.group);
    let preMaster: Uint8Array;
    try {
      preMaster = share.agree(kx.serverPoint);
    } catch (e) {
      throw new TlsError(Alert.illegal_parameter, `invalid server ECDHE public key: ${(e as Error).message}`);
    }
    ctx.sendHandshake(Tls12HandshakeType.client_key_exchange, encodeClientKeyExchange(share.publicKey));
    ctx.state("TLS client write client key exchange");
    const { suite, clientRandom, serverRandom } = kx;
    const master = extendedMasterSecret(crypto, suite, preMaster, ctx.transcript.hash(suite.hash));
    ctx.keyLog(clientRandom, master);
    if (signer) {
      const signature = crypto.sign(signer.scheme, signer.creds.key, ctx.transcript.bytes());
      ctx.sendHandshake(HandshakeType.certificate_verify, encodeCertificateVerify(signer.scheme, signature));
      ctx.state("TLS client write certificate verify");
    }
    const keys = recordProtections(crypto, suite, master, clientRandom, serverRandom);
    ctx.changeWriteCipher(keys.client);
    ctx.sendHandshake(
      HandshakeType.finished,
      finishedVerifyData(crypto, suite, master, "client", ctx.transcript.hash(suite.hash)),
    );
    ctx.state("TLS client write finished");
    ctx.expectChangeCipherSpec(keys.server);
    return new ExpectFinished(ctx, kx, master, this.auth);
  }

  /** Our certificate, when we have one the server can accept (RFC 5246 §7.4.6). */
  #clientCredentials(cr: CertificateRequest12): { creds: Credentials; scheme: number } | undefined {
    const creds = loadCredentials(this.ctx.config, this.ctx.crypto);
    if (!creds) return undefined;
    const type = creds.key.keyType === "rsa" ? ClientCertificateType.rsa_sign : ClientCertificateType.ecdsa_sign;
    const scheme = chooseTls12Scheme(cr.schemes, creds.key);
    if (!cr.certificateTypes.includes(type) || scheme === undefined) {
      this.ctx.state("our certificate does not fit the server's CertificateRequest: sending none");
      return undefined;
    }
    return { creds, scheme };
  }
}

class ExpectFinished implements Tls12State {
  readonly expecting = "server ChangeCipherSpec and Finished";
  constructor(
    readonly ctx: Tls12Context,
    readonly kx: KeyExchange,
    readonly master: Uint8Array,
    readonly auth: ServerAuth,
  ) {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    const { ctx, kx } = this;
    if (type !== HandshakeType.finished || !ctx.readProtected) unexpected(this, type);
    checkVerifyDataLength(body, "server");
    const expected = finishedVerifyData(
      ctx.crypto,
      kx.suite,
      this.master,
      "server",
      ctx.transcript.hash(kx.suite.hash),
    );
    if (!constantTimeEqual(expected, body)) throw new TlsError(Alert.decrypt_error, "server Finished is invalid");
    ctx.transcript.add(raw);
    ctx.state("TLS client read finished");
    ctx.complete({
      protocol: "TLSv1.2",
      cipher: kx.suite.name,
      group: groupName(kx.group),
      signatureScheme: SIGNATURE_SCHEME_NAMES[this.auth.scheme],
      peerCertificates: this.auth.peerCerts,
      alpn: kx.alpn,
    });
    return new Connected();
  }
}
