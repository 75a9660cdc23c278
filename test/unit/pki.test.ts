import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  describeCertificate,
  issueCertificate,
} from '../../src/pki.js';

describe('pki', () => {
  it('issues a server certificate that chains to its CA and matches its key', async () => {
    const ca = await createCertificateAuthority('test-ca');
    const leaf = await issueCertificate(ca, {
      commonName: 'api',
      hosts: ['api.example.com', '127.0.0.1'],
    });
    const cert = new X509Certificate(leaf.cert);
    const caCert = new X509Certificate(ca.cert);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(leaf.key))).toBe(true);
    expect(cert.subjectAltName).toBe('DNS:api.example.com, IP Address:127.0.0.1');
    expect(cert.checkHost('api.example.com')).toBe('api.example.com');
    expect(describeCertificate(leaf.cert).hosts).toEqual(['api.example.com', '127.0.0.1']);
  });

  it('issues an already expired certificate when asked, for the cert-expiry fault', async () => {
    const ca = await createCertificateAuthority('test-ca');
    const notBefore = new Date('2025-01-01T00:00:00Z');
    const notAfter = new Date('2025-01-02T00:00:00Z');
    const leaf = await issueCertificate(ca, {
      commonName: 'shop',
      hosts: ['shop.example.com'],
      notBefore,
      notAfter,
    });
    const cert = new X509Certificate(leaf.cert);
    expect(new Date(cert.validTo).getTime()).toBe(notAfter.getTime());
    expect(new Date(cert.validTo).getTime()).toBeLessThan(Date.now());
    expect(cert.checkIssued(new X509Certificate(ca.cert))).toBe(true);
  });
});
