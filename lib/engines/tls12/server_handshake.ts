/**
 * The server side of the TLS 1.2 handshake (RFC 5246 §7.3), one type per
 * state:
 *
 * ```
 * ClientHello          -->
 *                            ServerHello, Certificate, ServerKeyExchange,
 *                      <--   [CertificateRequest], ServerHelloDone
 * [Certificate], ClientKeyExchange, [CertificateVerify],
 * ChangeCipherSpec, Finished -->
 *                      <--   ChangeCipherSpec, Finished
 * ```
 *
 * Always a full ECDHE handshake: no session id or ticket is issued, and one
 * offered by the client is ignored. Extended master secret (RFC 7627) is
 * required.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { concat, constantTimeEqual } from "../../protocol/bytes.ts";
import { ExtensionType, Group, HandshakeType, SIGNATURE_SCHEME_NAMES, Version } from "../../protocol/constants.ts";
import {
  type ClientHello,
  encodeAlpn,
  encodeServerHello,
  type Extension,
  findExtension,
  parseCertificateVerify,
  parseClientHello,
  parseSupportedVersions,
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
  encodeCertificate12,
  encodeCertificateRequest12,
  encodeEcdhParams,
  encodeServerKeyExchange,
  parseCertificate12,
  parseClientKeyExchange,
} from "./messages.ts";
import { extendedMasterSecret, finishedVerifyData, recordProtections } from "./prf.ts";
import type { Tls12Protection } from "./record.ts";
import {
  ClientCertificateType,
  DOWNGRADE_TLS12,
  Scsv,
  TLS12_SIGNATURE_SCHEMES,
  Tls12HandshakeType,
  type Tls12Suite,
} from "./suites.ts";
import { checkPointFormats, checkRenegotiationInfo, RENEGOTIATION_INFO_EMPTY } from "./extensions.ts";

/** Named groups of the curves an ECDSA certificate may use. */
const CURVE_GROUPS: Record<string, number> = { prime256v1: Group.secp256r1, secp384r1: Group.secp384r1 };

/** What the ClientHello settled, carried through the rest of the handshake. */
interface Session {
  suite: Tls12Suite;
  group: number;
  clientRandom: Uint8Array;
  serverRandom: Uint8Array;
  alpn?: string;
  serverName?: string;
}

/** The keys once ClientKeyExchange is in. */
interface Keyed extends Session {
  master: Uint8Array;
  server: Tls12Protection;
}

/**
 * The first state of a server connection.
 */
export class ExpectClientHello implements Tls12State {
  readonly expecting = "ClientHello";
  readonly #ctx: Tls12Context;
  readonly #creds: Credentials;

  constructor(ctx: Tls12Context) {
    this.#ctx = ctx;
    const creds = loadCredentials(ctx.config, ctx.crypto);
    if (!creds) throw new TlsError(Alert.internal_error, "a TLS server needs certificateChain and privateKey");
    this.#creds = creds;
  }

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    if (type !== HandshakeType.client_hello) unexpected(this, type);
    const ctx = this.#ctx;
    const ch = parseClientHello(body);
    ctx.transcript.add(raw);
    ctx.state("TLS server read client hello");
    const n = this.#negotiate(ch);
    return this.#sendFlight(ch, n);
  }

  #negotiate(ch: ClientHello): Session & { scheme: number } {
    const { config, options } = this.#ctx;
    checkVersion(ch, config.maxVersion === "TLSv1.2" ? Version.TLS12 : Version.TLS13);
    if (!ch.compressionMethods.includes(0)) {
      throw new TlsError(Alert.illegal_parameter, "ClientHello does not offer null compression");
    }
    if (ch.renegotiationInfo) checkRenegotiationInfo(ch.renegotiationInfo);
    if (!ch.extendedMasterSecret) {
      throw new TlsError(
        Alert.handshake_failure,
        "client does not support the extended master secret (RFC 7627); refusing the handshake",
      );
    }
    // RFC 5246 §7.4.1.4.1: no signature_algorithms means SHA-1, which we refuse.
    const scheme = chooseTls12Scheme(ch.signatureAlgorithms ?? [], this.#creds.key);
    if (scheme === undefined) {
      throw new TlsError(Alert.handshake_failure, "no signature algorithm in common with our key (SHA-1 is refused)");
    }
    const clientGroups = ch.supportedGroups ?? [];
    const key = this.#creds.key;
    // RFC 8422 §5.1: an ECDSA certificate's curve must be one the client listed, when it listed any.
    const curve = key.keyType === "ec" ? CURVE_GROUPS[key.curve ?? ""] : undefined;
    if (key.keyType === "ec" && ch.supportedGroups && (curve === undefined || !clientGroups.includes(curve))) {
      throw new TlsError(
        Alert.handshake_failure,
        "the client's supported_groups exclude our ECDSA certificate's curve",
      );
    }
    const suite = options.suites.find((s) => s.auth === key.keyType && ch.cipherSuites.includes(s.id));
    if (!suite) throw new TlsError(Alert.handshake_failure, "no cipher suite in common");
    const group = options.groups.find((g) => clientGroups.includes(g));
    if (group === undefined) throw new TlsError(Alert.handshake_failure, "no key exchange group in common");
    if (ch.ecPointFormats) checkPointFormats(ch.ecPointFormats);

    const serverName = ch.serverName;
    let alpn: string | undefined;
    if (ch.alpn && config.alpnProtocols?.length) {
      const offered = ch.alpn;
      alpn = config.alpnProtocols.find((p) => offered.includes(p));
      if (!alpn) throw new TlsError(Alert.no_application_protocol, "no ALPN protocol in common");
    }
    const serverRandom = this.#ctx.crypto.random(32);
    // RFC 8446 §4.1.3: a server able to speak TLS 1.3 marks a TLS 1.2 answer so clients can detect a downgrade.
    if (config.maxVersion !== "TLSv1.2") serverRandom.set(DOWNGRADE_TLS12, 24);
    return { suite, group, scheme, clientRandom: ch.random.slice(), serverRandom, alpn, serverName };
  }

  #sendFlight(ch: ClientHello, n: Session & { scheme: number }): Tls12State {
    const ctx = this.#ctx;
    const { crypto, config, options } = ctx;
    let exts: Extension[] = [
      { type: ExtensionType.renegotiation_info, data: RENEGOTIATION_INFO_EMPTY },
      { type: ExtensionType.extended_master_secret, data: new Uint8Array(0) },
    ];
    if (ch.ecPointFormats) exts.push({ type: ExtensionType.ec_point_formats, data: new Uint8Array([1, 0]) });
    // An empty server_name tells the client its SNI was used (RFC 6066 §3).
    if (n.serverName !== undefined) exts.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    if (n.alpn) exts.push({ type: ExtensionType.alpn, data: encodeAlpn([n.alpn]) });
    if (options.serverHelloExtensions) exts = options.serverHelloExtensions(exts);
    const sh = encodeServerHello({
      legacyVersion: Version.TLS12,
      random: n.serverRandom,
      sessionId: new Uint8Array(0), // no session is cached, so none is named (RFC 5246 §7.4.1.3)
      cipherSuite: n.suite.id,
      compressionMethod: 0,
      extensions: exts,
    });
    ctx.sendHandshake(HandshakeType.server_hello, sh);
    ctx.state("TLS server write server hello");
    const bodies = this.#creds.certificateBodies;
    bodies.tls12 ??= encodeCertificate12(this.#creds.chain);
    ctx.sendHandshake(HandshakeType.certificate, bodies.tls12);
    ctx.state("TLS server write certificate");

    const share = crypto.generateKeyShare(n.group);
    const params = encodeEcdhParams(n.group, share.publicKey);
    const signature = crypto.sign(n.scheme, this.#creds.key, concat(n.clientRandom, n.serverRandom, params));
    ctx.sendHandshake(Tls12HandshakeType.server_key_exchange, encodeServerKeyExchange(params, n.scheme, signature));
    ctx.state("TLS server write key exchange");

    const askCert = config.requestClientCertificate || config.requireClientCertificate;
    if (askCert) {
      const cr = encodeCertificateRequest12({
        certificateTypes: [ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign],
        schemes: [...TLS12_SIGNATURE_SCHEMES],
      });
      ctx.sendHandshake(HandshakeType.certificate_request, cr);
      ctx.state("TLS server write certificate request");
    }
    ctx.sendHandshake(Tls12HandshakeType.server_hello_done, new Uint8Array(0));
    ctx.state("TLS server write server done");
    const session: Session = { ...n };
    const agree = (point: Uint8Array) => share.agree(point);
    return askCert ? new ExpectCertificate(ctx, session, agree) : new ExpectClientKeyExchange(ctx, session, agree, []);
  }
}

/** RFC 5246 §7.4.1.2, RFC 8446 §4.2.1, RFC 7507 §3: the client must offer TLS 1.2 and must not be falling back. */
function checkVersion(ch: ClientHello, ourHighest: number): void {
  const sv = findExtension(ch.extensions, ExtensionType.supported_versions);
  const versions = sv ? parseSupportedVersions(sv) : [ch.legacyVersion];
  const clientHighest = sv ? Math.max(...versions.filter((v) => v <= Version.TLS13)) : ch.legacyVersion;
  if (sv ? !versions.includes(Version.TLS12) : ch.legacyVersion < Version.TLS12) {
    throw new TlsError(Alert.protocol_version, "client does not offer TLS 1.2");
  }
  if (ch.cipherSuites.includes(Scsv.fallback) && clientHighest < ourHighest) {
    throw new TlsError(
      Alert.inappropriate_fallback,
      "client signals a fallback (TLS_FALLBACK_SCSV) but we support a higher version",
    );
  }
}

type Agree = (point: Uint8Array) => Uint8Array;

class ExpectCertificate implements Tls12State {
  readonly expecting = "client Certificate";
  constructor(readonly ctx: Tls12Context, readonly session: Session, readonly agree: Agree) {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    if (type !== HandshakeType.certificate) unexpected(this, type);
    const ctx = this.ctx;
    const chain = parseCertificate12(body);
    if (!chain.length) {
      if (ctx.config.requireClientCertificate) {
        throw new TlsError(Alert.handshake_failure, "client did not send a certificate");
      }
      ctx.state("TLS server read client certificate (none)");
    } else {
      verifyPeerChain(chain, ctx.config, "client");
      ctx.state("TLS server read client certificate");
    }
    ctx.transcript.add(raw);
    return new ExpectClientKeyExchange(ctx, this.session, this.agree, chain);
  }
}

class ExpectClientKeyExchange implements Tls12State {
  readonly expecting = "ClientKeyExchange";
  constructor(
    readonly ctx: Tls12Context,
    readonly session: Session,
    readonly agree: Agree,
    readonly peerCerts: Uint8Array[],
  ) {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    if (type !== Tls12HandshakeType.client_key_exchange) unexpected(this, type);
    const { ctx, session } = this;
    let preMaster: Uint8Array;
    try {
      preMaster = this.agree(parseClientKeyExchange(body));
    } catch (e) {
      if (e instanceof TlsError) throw e;
      throw new TlsError(Alert.illegal_parameter, `invalid client ECDHE public key: ${(e as Error).message}`);
    }
    ctx.transcript.add(raw);
    ctx.state("TLS server read client key exchange");
    const { suite, clientRandom, serverRandom } = session;
    const master = extendedMasterSecret(ctx.crypto, suite, preMaster, ctx.transcript.hash(suite.hash));
    ctx.keyLog(clientRandom, master);
    const keys = recordProtections(ctx.crypto, suite, master, clientRandom, serverRandom);
    const keyed: Keyed = { ...session, master, server: keys.server };
    if (this.peerCerts.length) return new ExpectCertificateVerify(ctx, keyed, keys.client, this.peerCerts);
    ctx.expectChangeCipherSpec(keys.client);
    return new ExpectFinished(ctx, keyed, []);
  }
}

class ExpectCertificateVerify implements Tls12State {
  readonly expecting = "CertificateVerify";
  constructor(
    readonly ctx: Tls12Context,
    readonly keyed: Keyed,
    readonly clientRead: Tls12Protection,
    readonly peerCerts: Uint8Array[],
  ) {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    if (type !== HandshakeType.certificate_verify) unexpected(this, type);
    const ctx = this.ctx;
    const { scheme, signature } = parseCertificateVerify(body);
    requireOfferedScheme(scheme, "client CertificateVerify");
    // RFC 5246 §7.4.8: the signature covers every handshake message so far, not their hash.
    if (!ctx.crypto.verify(scheme, this.peerCerts[0], ctx.transcript.bytes(), signature)) {
      throw new TlsError(Alert.decrypt_error, "client CertificateVerify signature is invalid");
    }
    ctx.transcript.add(raw);
    ctx.state("TLS server read client certificate verify");
    ctx.expectChangeCipherSpec(this.clientRead);
    return new ExpectFinished(ctx, this.keyed, this.peerCerts, scheme);
  }
}

class ExpectFinished implements Tls12State {
  readonly expecting = "client ChangeCipherSpec and Finished";
  constructor(
    readonly ctx: Tls12Context,
    readonly keyed: Keyed,
    readonly peerCerts: Uint8Array[],
    readonly peerScheme?: number,
  ) {}

  handle(type: number, body: Uint8Array, raw: Uint8Array): Tls12State {
    const { ctx, keyed } = this;
    if (type !== HandshakeType.finished || !ctx.readProtected) unexpected(this, type);
    checkVerifyDataLength(body, "client");
    const { suite, master } = keyed;
    const expected = finishedVerifyData(ctx.crypto, suite, master, "client", ctx.transcript.hash(suite.hash));
    if (!constantTimeEqual(expected, body)) throw new TlsError(Alert.decrypt_error, "client Finished is invalid");
    ctx.transcript.add(raw);
    ctx.state("TLS server read finished");
    ctx.changeWriteCipher(keyed.server);
    ctx.sendHandshake(
      HandshakeType.finished,
      finishedVerifyData(ctx.crypto, suite, master, "server", ctx.transcript.hash(suite.hash)),
    );
    ctx.state("TLS server write finished");
    ctx.complete({
      protocol: "TLSv1.2",
      cipher: suite.name,
      group: groupName(keyed.group),
      signatureScheme: this.peerScheme !== undefined ? SIGNATURE_SCHEME_NAMES[this.peerScheme] : undefined,
      peerCertificates: this.peerCerts,
      alpn: keyed.alpn,
      serverName: keyed.serverName,
    });
    return new Connected();
  }
}
