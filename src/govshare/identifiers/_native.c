/*
 * Optional compiled kernels for the pseudonymisation hot path (govshare.identifiers._native).
 *
 * Two loops that NumPy can only express as dozens of whole-column passes:
 *
 *   resident_ids(matrix, codes, blocks, tag)
 *       For an (n, 18) ASCII matrix of resident ID numbers: a reason code per row and the
 *       16-byte PRP input block of every valid row (docs/spec/pseudonyms.md, section 4).
 *       Codes: 0 valid, 4 characters, 5 birth date, 6 check character (as _resident_id.py).
 *       Invalid rows get an all-zero block.
 *
 *   hex_rows(prefix, digests, valid, out)
 *       Row r of out (width = len(prefix) + 2 * k) = prefix + lower-case hex of digest r
 *       (k bytes each) where valid[r], else zeros.
 *
 * Neither touches key material (encryption stays in OpenSSL via `cryptography`). Every buffer
 * length is checked against n before the loop; the loops run without the GIL. The NumPy code
 * in _resident_id.py / _swar.py / _packed.py is the reference: tests/identifiers/test_native.py
 * checks the two agree on arbitrary bytes.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define WIDTH 18
#define BLOCK 16
#define TAG_LEN 7

enum { VALID = 0, CHARACTERS = 4, BIRTH_DATE = 5, CHECK_CHARACTER = 6 };

static const uint8_t WEIGHTS[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char CHECK[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
static const uint8_t DAYS[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static inline uint64_t
load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v; /* little-endian hosts only: see the check in PyInit__native */
}

#define L8(b) (0x0101010101010101ULL * (uint64_t)(b))

static uint8_t
classify(const uint8_t *c, uint8_t *block, const uint8_t *tag)
{
    /* Characters 0-15 as two words: all digits iff every high nibble is 3 and every low
       nibble + 6 stays below 16 (no byte carries into the next one either way). */
    const uint64_t w0 = load64(c), w1 = load64(c + 8);
    const uint64_t high = L8(0xF0), three = L8(0x30), six = L8(0x06);
    unsigned bad = ((w0 & high) != three) | ((w1 & high) != three) |
                   (((w0 + six) & high) != three) | (((w1 + six) & high) != three);
    uint8_t d[WIDTH];
    const uint64_t v0 = w0 & L8(0x0F), v1 = w1 & L8(0x0F);
    memcpy(d, &v0, 8);
    memcpy(d + 8, &v1, 8);
    d[16] = (uint8_t)(c[16] - '0');
    bad |= d[16] > 9;
    const uint8_t last = c[17];
    const int is_x = (last | 0x20) == 'x';
    d[17] = is_x ? 0xA : (uint8_t)(last - '0');
    bad |= d[17] > 9 && !is_x;
    if (bad) {
        return CHARACTERS;
    }
    const unsigned year = d[6] * 1000u + d[7] * 100u + d[8] * 10u + d[9];
    const unsigned month = d[10] * 10u + d[11];
    const unsigned day = d[12] * 10u + d[13];
    int date_ok = year >= 1800 && year <= 2099 && month >= 1 && month <= 12 && day >= 1 &&
                  day <= DAYS[month];
    if (date_ok && month == 2 && day == 29) {
        date_ok = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    }
    if (!date_ok) {
        return BIRTH_DATE;
    }
    unsigned total = 0;
    for (int i = 0; i < 17; i++) {
        total += d[i] * WEIGHTS[i];
    }
    if (CHECK[total % 11] != (is_x ? 'X' : last)) {
        return CHECK_CHARACTER;
    }
    for (int j = 0; j < 9; j++) {
        block[j] = (uint8_t)((d[2 * j] << 4) | d[2 * j + 1]);
    }
    memcpy(block + 9, tag, TAG_LEN);
    return VALID;
}

static PyObject *
resident_ids(PyObject *Py_UNUSED(self), PyObject *args)
{
    Py_buffer matrix, codes, blocks, tag;
    if (!PyArg_ParseTuple(args, "y*w*w*y*", &matrix, &codes, &blocks, &tag)) {
        return NULL;
    }
    PyObject *result = NULL;
    const Py_ssize_t n = codes.len;
    if (matrix.len != n * WIDTH || blocks.len != n * BLOCK || tag.len != TAG_LEN) {
        PyErr_SetString(PyExc_ValueError,
                        "resident_ids: buffer sizes do not match n rows of 18 characters");
        goto done;
    }
    const uint8_t *in = matrix.buf;
    uint8_t *out_codes = codes.buf;
    uint8_t *out_blocks = blocks.buf;
    const uint8_t *tag_bytes = tag.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < n; r++) {
        uint8_t *block = out_blocks + r * BLOCK;
        const uint8_t code = classify(in + r * WIDTH, block, tag_bytes);
        out_codes[r] = code;
        if (code != VALID) {
            memset(block, 0, BLOCK);
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&matrix);
    PyBuffer_Release(&codes);
    PyBuffer_Release(&blocks);
    PyBuffer_Release(&tag);
    return result;
}

static uint16_t HEX_PAIRS[256]; /* byte -> two lower-case hex characters, in memory order */

static PyObject *
hex_rows(PyObject *Py_UNUSED(self), PyObject *args)
{
    Py_buffer prefix, digests, valid, out;
    if (!PyArg_ParseTuple(args, "y*y*y*w*", &prefix, &digests, &valid, &out)) {
        return NULL;
    }
    PyObject *result = NULL;
    const Py_ssize_t n = valid.len;
    const Py_ssize_t p = prefix.len;
    if (n == 0) {
        if (digests.len != 0 || out.len != 0) {
            PyErr_SetString(PyExc_ValueError, "hex_rows: no rows but non-empty buffers");
            goto done;
        }
        result = Py_NewRef(Py_None);
        goto done;
    }
    const Py_ssize_t k = digests.len / n;
    const Py_ssize_t width = p + 2 * k;
    if (k == 0 || digests.len != n * k || out.len != n * width) {
        PyErr_SetString(PyExc_ValueError, "hex_rows: buffer sizes do not match n rows");
        goto done;
    }
    const uint8_t *pre = prefix.buf;
    const uint8_t *in = digests.buf;
    const uint8_t *ok = valid.buf;
    uint8_t *dst = out.buf;
    /* A prefix of at most 16 bytes is copied as one fixed-size block (inlined, no call);
       the bytes past the prefix are overwritten by the hex digits (width >= p + 2 > 16
       whenever k >= 8, so the block never leaves its row). */
    uint8_t pre16[16] = {0};
    const int short_prefix = p <= 16 && width >= 16;
    if (short_prefix) {
        memcpy(pre16, pre, (size_t)p);
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t r = 0; r < n; r++) {
        uint8_t *row = dst + r * width;
        if (!ok[r]) {
            memset(row, 0, (size_t)width);
            continue;
        }
        if (short_prefix) {
            memcpy(row, pre16, 16);
        } else {
            memcpy(row, pre, (size_t)p);
        }
        const uint8_t *digest = in + r * k;
        uint8_t *hex = row + p;
        for (Py_ssize_t j = 0; j < k; j++) {
            memcpy(hex + 2 * j, &HEX_PAIRS[digest[j]], 2);
        }
    }
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    PyBuffer_Release(&prefix);
    PyBuffer_Release(&digests);
    PyBuffer_Release(&valid);
    PyBuffer_Release(&out);
    return result;
}

static PyMethodDef methods[] = {
    {"resident_ids", resident_ids, METH_VARARGS,
     "resident_ids(matrix, codes, blocks, tag): reason codes and PRP blocks of (n, 18) IDs."},
    {"hex_rows", hex_rows, METH_VARARGS,
     "hex_rows(prefix, digests, valid, out): prefix + hex(digest) per valid row, else zeros."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_native",
    "Compiled kernels for resident-ID validation and hex output (optional; NumPy fallback).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__native(void)
{
    const uint16_t probe = 1;
    uint8_t first;
    memcpy(&first, &probe, 1);
    if (first != 1) {
        PyErr_SetString(PyExc_ImportError, "govshare.identifiers._native needs a little-endian CPU");
        return NULL;
    }
    static const char digits[] = "0123456789abcdef";
    for (int b = 0; b < 256; b++) {
        uint8_t pair[2] = {(uint8_t)digits[b >> 4], (uint8_t)digits[b & 15]};
        memcpy(&HEX_PAIRS[b], pair, 2);
    }
    return PyModule_Create(&module);
}
