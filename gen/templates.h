/* templates.h: the templates/ files, built into the binary by gen/tmpl2c so an installed
 * rnnc needs no source tree. */
#ifndef RNNC_TEMPLATES_H
#define RNNC_TEMPLATES_H

extern const char rnnc_template_rnn_h[];
extern const char rnnc_template_rnn_c[];
extern const char rnnc_template_rnnc_hand_h[];
extern const char rnnc_template_rnn_kernels_c[];
extern const char rnnc_template_rnn_gated_kernels_c[];
extern const char rnnc_template_rnn_gated_c[];
extern const char rnnc_template_rnn_math_c[];
extern const char rnnc_template_rnn_abi_h[];
extern const char rnnc_template_rnn_update_c[];
extern const char rnnc_template_rnn_segment_c[];
extern const char rnnc_template_embed_h[];
extern const char rnnc_template_embed_c[];

#endif
