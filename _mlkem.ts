import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
const times: string[] = [];
for (let i = 0; i < 4; i++) {
  const t0 = performance.now();
  const { publicKey, secretKey } = ml_kem768.keygen();
  const t1 = performance.now();
  const { cipherText } = ml_kem768.encapsulate(publicKey);
  const t2 = performance.now();
  ml_kem768.decapsulate(cipherText, secretKey);
  const t3 = performance.now();
  times.push(`${(t1 - t0).toFixed(1)}/${(t2 - t1).toFixed(1)}/${(t3 - t2).toFixed(1)}`);
}
console.log(times.join("  "));
