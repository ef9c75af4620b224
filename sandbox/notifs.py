"""Digisign's answer texts, word for word, in one place.

Texts from the 3.0.4 document's response tables and from Digisign's server
(`shared/digisign-behaviour.md`) are copied exactly: the `digisign` client tells
answers apart by substrings of them. Texts Digisign never published are marked
"sandbox" below; they are written so the client's catalogue still reads them
right (a `05` for a signer who is not activated contains "belum melakukan
aktivasi", a revoked certificate "dicabut").
"""

from __future__ import annotations

from typing import Final

# --- every endpoint -------------------------------------------------------------------
NOT_MULTIPART: Final = "Format request API salah."
SYSTEM_TIMEOUT: Final = "system timeout, silahkan coba kembali 10 menit kemudian"
WRONG_TOKEN: Final = "token salah"  # noqa: S105 - a message, not a secret
REQUEST_DATA_NOT_FOUND: Final = "Request Data tidak ditemukan"
USERID_MISSING: Final = "Parameter userid tidak ditemukan"
USERID_NOT_FOUND: Final = "userid tidak ditemukan"
TOKEN_PARTNER_MISMATCH: Final = "Token dan Mitra tidak sesuai"  # noqa: S105 - a message
REQUEST_INCOMPLETE: Final = "Request API tidak lengkap."

# --- REG-MITRA ------------------------------------------------------------------------
BIRTH_DATE_FORMAT: Final = "Format tanggal lahir salah"
TOO_MANY_ATTEMPTS: Final = (
    "User tersebut sudah mencoba didaftarkan lebih dari 3x dengan data tidak valid. "
    "Silahkan lakukan pengecekan data-data terlebih dahulu."
)
PHONE_TOO_SHORT: Final = "teks tlp kurang dari 8 karakter"
PHONE_NOT_DIGITS: Final = "teks tlp harus angka"
PHONE_PREFIX: Final = "format hp harus 62, 08 atau +62"
NIK_FORMAT: Final = "Format NIK Salah"
NAME_TOO_LONG: Final = "teks nama maksimum 128 karakter"
NAME_FORMAT: Final = "format nama salah"
EMAIL_FORMAT: Final = "Format email salah"
EMAIL_TOO_LONG: Final = "teks email maksimum 80 karakter"
GENDER_TOO_LONG: Final = "teks jenis kelamin maksimum 10 karakter"
UPLOAD_INCOMPLETE: Final = "Data upload tidak lengkap"
UPLOAD_INCOMPLETE_INFO: Final = "harap upload photo ektp dan wajah selfie anda."
VERIFICATION_FAILED: Final = "verifikasi user gagal."
VERIFICATION_TEXT_MISMATCH: Final = "verifikasi user gagal. NIK\\Nama\\tanggal lahir tidak sesuai"
VERIFICATION_TEXT_FAILED_INFO: Final = "verifikasi text gagal."
SELFIE_TOO_LARGE_INFO: Final = "Verifikasi wajah gagal. Size foto selfie maksimal 500KB"
SELFIE_NOT_JPEG_INFO: Final = "Verifikasi wajah gagal. Format foto selfie harus JPEG"
NO_FACE_ON_SELFIE_INFO: Final = "No face found on Selfie"
NO_FACE_ON_KTP_INFO: Final = "No face found on KTP"
LIGHT_INFO: Final = "Verifikasi gagal. Pastikan cahaya cukup dan foto ktp sesuai dengan foto wajah."
FACE_INFO: Final = "Verifikasi wajah gagal"
IDENTITY_BALANCE_EMPTY_DATA: Final = "Saldo verifikasi text habis"
REGISTRATION_FAILED_INFO: Final = "Registrasi gagal"
REGISTERED: Final = "Berhasil, silahkan check email untuk aktivasi akun anda."
PRE_REGISTERED: Final = (
    "Email sudah terdaftar, namun belum melakukan aktivasi. Silahkan untuk melakukan "
    "aktivasi sebelum data dihapus dari daftar aktivasi."
)
ALREADY_REGISTERED: Final = "Anda sudah terdaftar sebelumnya, silahkan gunakan layanan Digisign"
REREGISTERED: Final = (
    "Registrasi berhasil. Anda sudah terdaftar sebelumnya, silahkan gunakan layanan Digisign"
)
NIK_UNDER_OTHER_EMAIL: Final = (
    "NIK sudah terdaftar dengan email lain, silahkan login dengan email yang sesuai NIK "
    "atau gunakan NIK lain."
)
EMAIL_UNDER_OTHER_NIK: Final = "Email sudah terdaftar dengan NIK lain, silahkan gunakan email lain."
PHONE_IN_USE: Final = "No Handphone sudah digunakan. Gunakan No Handphone lain."
USER_BLOCKED: Final = "User tersebut diblokir, silahkan hubungi Digisign."  # sandbox

# --- genACTPage -----------------------------------------------------------------------
GENERAL_ERROR: Final = "General Error"
ALREADY_ACTIVATED: Final = "Email sudah melakukan aktivasi"
USER_OF_OTHER_PARTNER: Final = "Mitra tidak diijinkan untuk akses user."  # sandbox

# --- SendDocMitraAT -------------------------------------------------------------------
NOT_A_PDF: Final = "Format dokumen harus pdf"
DOCUMENT_ID_EMPTY: Final = "document id kosong"
REQ_SIGN_MISSING: Final = "field req-sign tidak ditemukan"
NO_REDIRECT_LINK: Final = "Anda belum memasukkan link redirect anda."
SIGNING_SEQ_MISSING: Final = "signing_seq wajib diisi jika sequence_option true"  # sandbox
PAGE_BEYOND_DOCUMENT: Final = "Halaman tanda tangan melebihi jumlah halaman dokumen"  # sandbox
SIGNATURE_TYPE_FORMAT: Final = "Format user tanda tangan salah"  # sandbox
SEND_FAILED: Final = "Kirim dokumen gagal"
SIGNATURES_OVERLAP_INFO: Final = "Lokasi tanda tangan sebaiknya diposisikan tidak tumpang tindih"
SIGNATURE_METERAI_OVERLAP_INFO: Final = (
    "Lokasi tanda tangan dan e-meterai sebaiknya diposisikan secara berdampingan dan tidak "
    "tumpang tindih"
)
CERTIFICATE_INVALID: Final = "Sertifikat elektronik penandatangan tidak berlaku"  # sandbox
CERTIFICATE_EXPIRED_INFO: Final = (
    "Sertifikat elektronik penandatangan sudah habis masa berlakunya, silahkan melakukan "
    "registrasi ulang"
)
CERTIFICATE_REVOKED_INFO: Final = (
    "Sertifikat elektronik penandatangan sudah dicabut, silahkan melakukan registrasi ulang"
)
DOCUMENT_ID_IN_USE: Final = "Document_id sudah digunakan"
DOCUMENT_BALANCE_EMPTY: Final = "Saldo Dokumen mitra tidak cukup."
SIGNATURE_BALANCE_EMPTY: Final = "Saldo Tandatangan mitra tidak cukup."
EMETERAI_BALANCE_EMPTY: Final = "Saldo e-Meterai mitra tidak cukup."  # sandbox
DOCUMENT_SENT: Final = "Kirim dokumen berhasil."

# --- genSignPage ----------------------------------------------------------------------
DOCUMENT_NOT_FOUND: Final = "dokumen tidak ditemukan"
USER_NOT_FOUND: Final = "user tidak ditemukan"
USER_NOT_ACTIVATED: Final = "user belum melakukan aktivasi"
NOT_A_SIGNER: Final = "user tidak masuk penandatanganan dokumen ini"
ALREADY_SIGNED: Final = "user telah menandatangani dokumen ini"
NOT_YET_THEIR_TURN: Final = "belum waktunya user menandatangani dokumen ini"
DOCUMENT_REJECTED: Final = "dokumen telah ditolak oleh penandatangan"  # sandbox

# --- DWMITRA64 ------------------------------------------------------------------------
FILE_NOT_FOUND: Final = "file tidak ditemukan"
DOCUMENT_OF_OTHER_PARTNER: Final = "Mitra tidak diijinkan untuk akses dokumen."

# --- UPDATE-EP ------------------------------------------------------------------------
CONTACT_UPDATED: Final = "Sukses update data"
NEW_EMAIL_TAKEN: Final = "Email pengganti sudah terdaftar, silahkan gunakan email lain."
USER_ALREADY_ACTIVE: Final = "User sudah aktif, silahkan mengubah data pada halaman dashboard"
NEW_PHONE_TAKEN: Final = (
    "Nomor handphone pengganti sudah terdaftar, silahkan gunakan nomor handpone lain."
)
EMAIL_NOT_REGISTERED: Final = "Email belum terdaftar"
UPDATE_FAILED: Final = "Update email atau no hp gagal"
OLD_PHONE_MISMATCH: Final = "Nomor hp lama tidak cocok"

# --- redirects ------------------------------------------------------------------------
ACTIVATED: Final = "Proses Aktivasi Berhasil"
SIGNED: Final = "Proses tanda tangan berhasil!"
REJECTED: Final = "Proses Penolakan Dokumen berhasil!"
