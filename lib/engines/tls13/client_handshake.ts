/**
 * The client side of the TLS 1.3 handshake (RFC 8446 §2, §4). The steps, in
 * order, one method each:
 *
 * 1. `sendClientHello`.
 * 2. `readServerHello`: handshake traffic keys. A HelloRetryRequest instead
 *    goes to `readHelloRetryRequest`, which sends the second ClientHello
 *    (after one dummy ChangeCipherSpec in compatibility mode) and waits for
 *    the ServerHello again.
 * 3. `readEncryptedExtensions`.
 * 4. `readCertificateRequest`, if the server asks for a certificate.
 * 5. `readServerCertificate`, `readServerCertificateVerify`.
 * 6. `readServerFinished`: application read keys; then
 *    `sendClientCertificate` (and its CertificateVerify) when asked, and
 *    `sendFinished`: application write keys; the handshake is complete.
 *
 * @module
 */

import { Alert, TlsError } from "../../ssl/alerts.ts";
import { isIpLiteral } from "../../pki/x509.ts";
import { equalBytes } from "../../protocol/bytes.ts";
import {
  CERTIFICATE_SCHEMES,
  CERTIFICATE_VERIFY_SCHEMES,
  type CipherSuiteInfo,
  DOWNGRADE_SENTINELS,
  ExtensionType,
  HandshakeType,
  SIGNATURE_SCHEME_NAMES,
  suiteById,
  Version,
} from "../../protocol/constants.ts";
import {
  chooseScheme,
  type Credentials,
  groupName,
  type HandshakeContext,
  loadCredentials,
  type RoleHandshake,
  verifyFinished,
  verifyPeerChain,
} from "./context.ts";
import type { KeyShare } from "../../crypto/provider.ts";
import {
  CERTIFICATE_ENTRY_EXTENSIONS,
  CERTIFICATE_REQUEST_EXTENSIONS,
  checkAnswered,
  checkPlacement,
  ENCRYPTED_EXTENSIONS,
  HELLO_RETRY_REQUEST_EXTENSIONS,
  SERVER_HELLO_EXTENSIONS,
} from "./extension_rules.ts";
import { applicationSecrets, finishedVerifyData, handshakeSecrets } from "./key_schedule.ts";
import {
  certificateVerifyContent,
  encodeAlpn,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeClientKeyShares,
  encodeOpaque,
  encodeServerName,
  encodeSupportedVersions,
  encodeU16List,
  encodeU8List,
  type Extension,
  parseCertificate,
  parseCertificateRequest,
  parseCertificateVerify,
  parseEncryptedExtensions,
  parseServerHello,
  type RawClientHello,
  type ServerHello,
} from "../../protocol/messages.ts";
import type {
  CertRequest,
  ClientState,
  ExpectEncryptedExtensions,
  ExpectServerCertificate,
  ExpectServerCertificateOrRequest,
  ExpectServerCertificateVerify,
  ExpectServerFinished,
  ExpectServerHello,
  HandshakeKeys,
  SentHello,
} from "./handshake_states.ts";

/**
 * Client handshake state machine.
 */
export class ClientHandshake implements RoleHandshake {
  readonly #ctx: HandshakeContext;
  readonly #creds: Credentials | undefined;
  #state: ClientState = { name: "Start" };
  #random: Uint8Array = new Uint8Array(0);
  #ccsSent = false;
  helloSeen = false;
  peerFinished = false;

  /** ClientHello.random, which names the secrets in key log lines. */
  get clientRandom(): Uint8Array {
    return this.#random;
  }

  constructor(ctx: HandshakeContext) {
    this.#ctx = ctx;
    this.#creds = loadCredentials(ctx.config, ctx.crypto);
  }

  start(): void {
    if (this.#state.name !== "Start") return;
    const { crypto, options } = this.#ctx;
    this.#random = crypto.random(32);
    const sessionId = options.middleboxCompat ? crypto.random(32) : new Uint8Array(0);
    const shares = options.keyShareGroups.map((g) => crypto.generateKeyShare(g));
    const hello: RawClientHello = {
      legacyVersion: Version.TLS12,
      random: this.#random,
      sessionId,
      cipherSuites: [...options.suites.map((s) => s.id), ...options.extraCipherSuites],
      compressionMethods: new Uint8Array([0]),
      extensions: this.#extensions(shares),
    };
    const firstRaw = this.#sendClientHello(hello, 0x0301);
    this.helloSeen = true;
    this.#state = { name: "ExpectServerHello", sent: { hello, firstRaw, shares, offered: offeredTypes(hello) } };
    this.#ctx.state("TLS client write client hello");
  }

  #extensions(shares: KeyShare[], cookie?: Uint8Array): Extension[] {
    const { config, options } = this.#ctx;
    const exts: Extension[] = [];
    const host = config.serverName;
    if (host && !isIpLiteral(host)) exts.push({ type: ExtensionType.server_name, data: encodeServerName(host) });
    exts.push({ type: ExtensionType.supported_groups, data: encodeU16List(options.groups) });
    exts.push({ type: ExtensionType.signature_algorithms, data: encodeU16List(CERTIFICATE_VERIFY_SCHEMES) });
    exts.push({ type: ExtensionType.signature_algorithms_cert, data: encodeU16List(CERTIFICATE_SCHEMES) });
    exts.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersions([Version.TLS13]) });
    // psk_dhe_ke: lets servers send tickets (which we accept and drop) as they do for OpenSSL clients.
    exts.push({ type: ExtensionType.psk_key_exchange_modes, data: encodeU8List([1]) });
    if (config.alpnProtocols?.length) exts.push({ type: ExtensionType.alpn, data: encodeAlpn(config.alpnProtocols) });
    if (cookie) exts.push({ type: ExtensionType.cookie, data: encodeOpaque(16, cookie) });
    exts.push({
      type: ExtensionType.key_share,
      data: encodeClientKeyShares(shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }))),
    });
    return options.clientHelloExtensions ? options.clientHelloExtensions(exts) : exts;
  }

  #sendClientHello(hello: RawClientHello, recordVersion: number): Uint8Array {
    return this.#ctx.sendHandshake(HandshakeType.client_hello, encodeClientHello(hello), recordVersion);
  }

  handle(type: number, body: Uint8Array, raw: Uint8Array): void {
    const s = this.#state;
    switch (s.name) {
      case "ExpectServerHello":
        if (type === HandshakeType.server_hello) return this.#readServerHello(s, body, raw);
        break;
      case "ExpectEncryptedExtensions":
        if (type === HandshakeType.encrypted_extensions) return this.#readEncryptedExtensions(s, body, raw);
        break;
      case "ExpectServerCertificateOrRequest":
        if (type === HandshakeType.certificate_request) return this.#readCertificateRequest(s, body, raw);
        if (type === HandshakeType.certificate) return this.#readServerCertificate(s, body, raw);
        break;
      case "ExpectServerCertificate":
        if (type === HandshakeType.certificate) return this.#readServerCertificate(s, body, raw);
        break;
      case "ExpectServerCertificateVerify":
        if (type === HandshakeType.certificate_verify) return this.#readServerCertificateVerify(s, body, raw);
        break;
      case "ExpectServerFinished":
        if (type === HandshakeType.finished) return this.#readServerFinished(s, body, raw);
        break;
    }
    throw new TlsError(Alert.unexpected_message, `unexpected handshake message ${type} in state ${s.name}`);
  }

  #readServerHello({ sent, retriedWith }: ExpectServerHello, body: Uint8Array, raw: Uint8Array): void {
    const sh = parseServerHello(body);
    if (sh.supportedVersion === undefined) {
      // RFC 8446 §4.1.3: a TLS 1.3 server that really chose an older version says so; that is a downgrade attack.
      const tail = sh.random.subarray(24);
      if (DOWNGRADE_SENTINELS.some((s) => equalBytes(tail, s))) {
        throw new TlsError(Alert.illegal_parameter, "ServerHello.random carries the downgrade sentinel");
      }
      throw new TlsError(Alert.protocol_version, "server did not negotiate TLS 1.3");
    }
    if (sh.supportedVersion !== Version.TLS13) {
      throw new TlsError(Alert.illegal_parameter, "server selected a version we did not offer");
    }
    if (sh.legacyVersion !== Version.TLS12) {
      throw new TlsError(Alert.illegal_parameter, "bad ServerHello legacy_version");
    }
    if (!equalBytes(sh.sessionId, sent.hello.sessionId)) {
      throw new TlsError(Alert.illegal_parameter, "session id not echoed");
    }
    if (sh.compressionMethod !== 0) throw new TlsError(Alert.illegal_parameter, "compression selected");
    const suite = suiteById(sh.cipherSuite);
    if (!suite || !sent.hello.cipherSuites.includes(sh.cipherSuite)) {
      throw new TlsError(Alert.illegal_parameter, "server selected a cipher suite we did not offer");
    }
    if (sh.isHelloRetryRequest) return this.#readHelloRetryRequest(sent, retriedWith, sh, suite, raw);
    checkAnswered(sh.extensions, sent.offered, SERVER_HELLO_EXTENSIONS, "ServerHello");
    if (retriedWith && retriedWith !== suite) {
      throw new TlsError(Alert.illegal_parameter, "suite changed after HelloRetryRequest");
    }
    const ks = sh.keyShare;
    if (!ks) throw new TlsError(Alert.missing_extension, "ServerHello without key_share");
    const share = sent.shares.find((s) => s.group === ks.group);
    if (!share) throw new TlsError(Alert.illegal_parameter, "server key share for a group we did not send");
    let shared: Uint8Array;
    try {
      shared = share.agree(ks.keyExchange);
    } catch (e) {
      throw new TlsError(Alert.illegal_parameter, `invalid server key share: ${(e as Error).message}`);
    }
    const ctx = this.#ctx;
    ctx.transcript.select(suite.hash);
    ctx.transcript.add(raw);
    ctx.state("TLS client read server hello");
    const secrets = handshakeSecrets(ctx.crypto, suite, shared, ctx.transcript.hash(), ctx.secretTrace);
    ctx.keyLog("CLIENT_HANDSHAKE_TRAFFIC_SECRET", secrets.clientHandshake);
    ctx.keyLog("SERVER_HANDSHAKE_TRAFFIC_SECRET", secrets.serverHandshake);
    ctx.setReadKeys(suite, secrets.serverHandshake);
    // Write keys now too, so an alert about the server's flight is protected as the server expects.
    ctx.setWriteKeys(suite, secrets.clientHandshake);
    const keys: HandshakeKeys = { suite, group: share.group, secrets };
    this.#state = { name: "ExpectEncryptedExtensions", keys, offered: sent.offered };
  }

  #readHelloRetryRequest(
    sent: SentHello,
    retriedWith: CipherSuiteInfo | undefined,
    hrr: ServerHello,
    suite: CipherSuiteInfo,
    raw: Uint8Array,
  ): void {
    if (retriedWith) throw new TlsError(Alert.unexpected_message, "second HelloRetryRequest");
    // RFC 8446 §4.2.2: a server may send a cookie unasked; the client echoes it.
    const answered = hrr.extensions.filter((e) => e.type !== ExtensionType.cookie);
    checkAnswered(answered, sent.offered, HELLO_RETRY_REQUEST_EXTENSIONS, "HelloRetryRequest");
    const ctx = this.#ctx;
    let shares = sent.shares;
    const group = hrr.selectedGroup;
    if (group !== undefined) {
      if (!ctx.options.groups.includes(group) || shares.some((s) => s.group === group)) {
        throw new TlsError(Alert.illegal_parameter, "HelloRetryRequest asked for an unusable group");
      }
      shares = [ctx.crypto.generateKeyShare(group)];
    } else if (!hrr.cookie) {
      throw new TlsError(Alert.illegal_parameter, "HelloRetryRequest would not change the ClientHello");
    }
    ctx.transcript.replaceWithMessageHash(suite.hash, sent.firstRaw);
    ctx.transcript.add(raw);
    ctx.state("TLS client read hello retry request");
    const hello = { ...sent.hello, extensions: this.#extensions(shares, hrr.cookie) };
    this.#sendCcsOnce();
    this.#sendClientHello(hello, 0x0303);
    ctx.state("TLS client write client hello");
    const retried: SentHello = { hello, firstRaw: sent.firstRaw, shares, offered: offeredTypes(hello) };
    this.#state = { name: "ExpectServerHello", sent: retried, retriedWith: suite };
  }

  #sendCcsOnce(): void {
    if (this.#ccsSent || !this.#ctx.options.middleboxCompat) return;
    this.#ccsSent = true;
    this.#ctx.sendChangeCipherSpec();
  }

  #readEncryptedExtensions({ keys, offered }: ExpectEncryptedExtensions, body: Uint8Array, raw: Uint8Array): void {
    const ee = parseEncryptedExtensions(body);
    checkAnswered(ee.extensions, offered, ENCRYPTED_EXTENSIONS, "EncryptedExtensions");
    let alpn: string | undefined;
    if (ee.alpn) {
      if (ee.alpn.length !== 1 || !this.#ctx.config.alpnProtocols?.includes(ee.alpn[0])) {
        throw new TlsError(Alert.illegal_parameter, "server selected an ALPN protocol we did not offer");
      }
      alpn = ee.alpn[0];
    }
    this.#ctx.transcript.add(raw);
    this.#ctx.state("TLS client read encrypted extensions");
    this.#state = { name: "ExpectServerCertificateOrRequest", flight: { keys, alpn, offered } };
  }

  #readCertificateRequest({ flight }: ExpectServerCertificateOrRequest, body: Uint8Array, raw: Uint8Array): void {
    const cr = parseCertificateRequest(body);
    checkPlacement(cr.extensions, CERTIFICATE_REQUEST_EXTENSIONS, "CertificateRequest");
    if (cr.context.length) {
      throw new TlsError(Alert.illegal_parameter, "non-empty context in handshake CertificateRequest");
    }
    if (!cr.signatureAlgorithms) {
      throw new TlsError(Alert.missing_extension, "CertificateRequest without signature_algorithms");
    }
    this.#ctx.transcript.add(raw);
    this.#ctx.state("TLS client read server certificate request");
    const certRequest = { context: cr.context, schemes: cr.signatureAlgorithms };
    this.#state = { name: "ExpectServerCertificate", flight: { ...flight, certRequest } };
  }

  #readServerCertificate(
    { flight }: ExpectServerCertificate | ExpectServerCertificateOrRequest,
    body: Uint8Array,
    raw: Uint8Array,
  ): void {
    const msg = parseCertificate(body);
    if (msg.context.length) throw new TlsError(Alert.illegal_parameter, "non-empty server certificate context");
    // RFC 8446 §4.4.2: entry extensions answer ClientHello extensions; OCSP status and SCTs are the ones allowed.
    for (const entry of msg.entries) {
      checkAnswered(entry.extensions, flight.offered, CERTIFICATE_ENTRY_EXTENSIONS, "Certificate");
    }
    if (!msg.certificates.length) throw new TlsError(Alert.decode_error, "server sent no certificate");
    verifyPeerChain(msg.certificates, this.#ctx.config, "server");
    this.#ctx.transcript.add(raw);
    this.#ctx.state("TLS client read server certificate");
    this.#state = { name: "ExpectServerCertificateVerify", flight, certificates: msg.certificates };
  }

  #readServerCertificateVerify(
    { flight, certificates }: ExpectServerCertificateVerify,
    body: Uint8Array,
    raw: Uint8Array,
  ): void {
    const { scheme, signature } = parseCertificateVerify(body);
    if (!CERTIFICATE_VERIFY_SCHEMES.includes(scheme)) {
      throw new TlsError(
        Alert.illegal_parameter,
        `server signed with a scheme we did not offer (0x${scheme.toString(16)})`,
      );
    }
    const ctx = this.#ctx;
    const content = certificateVerifyContent("server", ctx.transcript.hash());
    if (!ctx.crypto.verify(scheme, certificates[0], content, signature)) {
      throw new TlsError(Alert.decrypt_error, "server CertificateVerify signature is invalid");
    }
    ctx.transcript.add(raw);
    ctx.state("TLS client read server certificate verify");
    this.#state = { name: "ExpectServerFinished", flight, certificates, scheme };
  }

  #readServerFinished({ flight, certificates, scheme }: ExpectServerFinished, body: Uint8Array, raw: Uint8Array): void {
    const ctx = this.#ctx;
    const { suite, secrets } = flight.keys;
    const expected = finishedVerifyData(ctx.crypto, suite, secrets.serverHandshake, ctx.transcript.hash());
    verifyFinished(expected, body, "server");
    ctx.transcript.add(raw);
    this.peerFinished = true;
    ctx.state("TLS client read finished");
    const app = applicationSecrets(ctx.crypto, suite, secrets.master, ctx.transcript.hash(), ctx.secretTrace);
    ctx.setReadKeys(suite, app.server);
    this.#sendCcsOnce();
    if (flight.certRequest) this.#sendClientCertificate(flight.certRequest);
    const verify = finishedVerifyData(ctx.crypto, suite, secrets.clientHandshake, ctx.transcript.hash());
    ctx.sendHandshake(HandshakeType.finished, verify);
    ctx.state("TLS client write finished");
    ctx.setWriteKeys(suite, app.client);
    ctx.keyLog("CLIENT_TRAFFIC_SECRET_0", app.client);
    ctx.keyLog("SERVER_TRAFFIC_SECRET_0", app.server);
    ctx.keyLog("EXPORTER_SECRET", app.exporter);
    this.#state = { name: "Done" };
    ctx.complete({
      protocol: "TLSv1.3",
      cipher: suite.name,
      group: groupName(flight.keys.group),
      signatureScheme: SIGNATURE_SCHEME_NAMES[scheme],
      peerCertificates: certificates,
      alpn: flight.alpn,
    });
  }

  #sendClientCertificate(cr: CertRequest): void {
    const ctx = this.#ctx;
    const creds = this.#creds;
    const scheme = creds ? chooseScheme(cr.schemes, creds.key) : undefined;
    if (!creds || scheme === undefined) {
      ctx.sendHandshake(HandshakeType.certificate, encodeCertificate(cr.context, []));
      ctx.state("TLS client write certificate (none)");
      return;
    }
    ctx.sendHandshake(HandshakeType.certificate, encodeCertificate(cr.context, creds.chain));
    ctx.state("TLS client write certificate");
    const content = certificateVerifyContent("client", ctx.transcript.hash());
    ctx.sendHandshake(
      HandshakeType.certificate_verify,
      encodeCertificateVerify(scheme, ctx.crypto.sign(scheme, creds.key, content)),
    );
    ctx.state("TLS client write certificate verify");
  }
}

function offeredTypes(hello: RawClientHello): Set<number> {
  return new Set(hello.extensions.map((e) => e.type));
}
