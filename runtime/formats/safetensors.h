/* safetensors.h: read and write the safetensors format (an 8-byte little-endian header
 * length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data), as PyTorch and numpy users exchange weights.  The JSON header is
 * parsed with jansson.  The reader treats the file as hostile: every length, offset, shape
 * and dtype is validated before any tensor is handed out.  Library code: status + message. */
#ifndef RNNC_SAFETENSORS_H
#define RNNC_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

/* F16 (IEEE binary16) and BF16 (bfloat16: the top half of a binary32) are read and written
 * as their raw 2-byte elements; rnnc_st_f16_to_double / rnnc_st_bf16_to_double widen one
 * (exactly). */
typedef enum { RNNC_ST_F32, RNNC_ST_F64, RNNC_ST_I32, RNNC_ST_I64, RNNC_ST_F16, RNNC_ST_BF16 } rnnc_st_dtype;

#define RNNC_ST_MAX_DIMS 8

typedef struct rnnc_st_tensor {
    char *name;
    rnnc_st_dtype dtype;
    size_t ndim;
    uint64_t shape[RNNC_ST_MAX_DIMS];
    const unsigned char *data;   /* row-major (C order), little-endian; points into the file */
    size_t nbytes;
} rnnc_st_tensor;

typedef struct rnnc_st_file {
    unsigned char *buf;          /* the whole file */
    size_t len;
    rnnc_st_tensor *tensors;     /* in the order of their data offsets */
    size_t ntensors;
    char **meta_keys, **meta_values;   /* "__metadata__": string to string */
    size_t nmeta;
} rnnc_st_file;

/* Read and validate path.  Refused, with a message naming the file and the problem: a
 * header length beyond the file or above 100 MB, invalid JSON, a non-object header, an
 * unknown dtype, a shape that is not a list of non-negative integers (at most
 * RNNC_ST_MAX_DIMS), data_offsets that are not [begin, end] with begin <= end inside the
 * data, a byte count that does not equal the product of the shape times the element size
 * (overflow checked), overlapping tensors, data not fully covered by tensors, metadata
 * values that are not strings, duplicate names. */
int rnnc_st_read(const char *path, rnnc_st_file *f, char *err, size_t errlen);

/* The same checks on the bytes data[0..len) of a file (copied; path names it in messages). */
int rnnc_st_parse(const char *path, const void *data, size_t len, rnnc_st_file *f, char *err,
                  size_t errlen);
void rnnc_st_free(rnnc_st_file *f);

/* The tensor called name, or NULL. */
const rnnc_st_tensor *rnnc_st_find(const rnnc_st_file *f, const char *name);

/* The metadata value for key, or NULL. */
const char *rnnc_st_meta(const rnnc_st_file *f, const char *key);

/* Size in bytes of one element of dtype. */
size_t rnnc_st_dtype_size(rnnc_st_dtype d);

/* The name of dtype in the file format ("F32", "BF16", ...). */
const char *rnnc_st_dtype_name(rnnc_st_dtype d);

/* The value of a binary16 / bfloat16 element given as its 16 bits (the host's order),
 * exactly: every one is a double (subnormals, infinities and NaN included). */
double rnnc_st_f16_to_double(uint16_t bits);
double rnnc_st_bf16_to_double(uint16_t bits);

/* A writer: collect tensors (their data is copied) and metadata, then write the file
 * atomically (rnnc_write_atomic_parts).  The header lists tensors sorted by name and
 * metadata sorted by key, so equal content gives equal bytes. */
typedef struct rnnc_st_writer rnnc_st_writer;
rnnc_st_writer *rnnc_st_writer_new(void);
int rnnc_st_add(rnnc_st_writer *w, const char *name, rnnc_st_dtype dtype, size_t ndim,
                const uint64_t *shape, const void *data);        /* 0 or -1 (memory, bad args) */
int rnnc_st_set_meta(rnnc_st_writer *w, const char *key, const char *value);
int rnnc_st_write(rnnc_st_writer *w, const char *path, char *err, size_t errlen);
void rnnc_st_writer_free(rnnc_st_writer *w);

#endif
