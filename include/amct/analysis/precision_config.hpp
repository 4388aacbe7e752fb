// amct/analysis/precision_config.hpp: HMCT's quant_config JSON (docs/analysis.md#hmcts-quant_config) as far
// as amct implements it: the computation precision (qtype) per model, op type and node, the metric of the
// model-wise and layer-wise method searches and bias correction's settings. Read with file:line:column
// diagnostics (`//` and `/* */` comments allowed, as HMCT strips them), written back, and resolved against a
// model with HMCT's precedence node_config > op_config > model_config.all_node_type > int8. apply_qtypes
// carries the result into AMCT's config.json: int16 is the integer quantization with 16-bit activations (the
// calibration algorithms run with num_bits = 16; weights stay 8-bit), float16 and float32 layers are not
// quantized.
//
//   {
//       "model_config": {
//           "all_node_type": "int16",
//           "modelwise_search": {"metric": "cosine-similarity", "similarity": 0.995},
//           "layerwise_search": {"metric": "sqnr", "topk": 5, "qtype": "int16"},
//           "weight": {"bias_correction": {"num_sample": 8, "metric": "cosine-similarity"}}
//       },
//       "op_config": {"Conv": {"qtype": "int8"}},
//       "node_config": {"head/conv": {"qtype": "float16"}}
//   }
#pragma once

#include <array>        // std::array
#include <map>          // std::map
#include <optional>     // std::optional
#include <set>          // std::set
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <utility>      // std::pair
#include <vector>       // std::vector

#include <boost/json.hpp>

#include <amct/analysis/metrics.hpp>
#include <amct/analysis/precision.hpp>
#include <amct/base/macros.hpp>
#include <amct/config/quant_config.hpp>
#include <amct/config/resolve.hpp>
#include <amct/model/layer_types.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
/// model_config.modelwise_search: pick one calibration method for the whole model by `metric` on its
/// outputs.
struct modelwise_search_config
{
    amct::metric metric = amct::metric::cosine;  ///< HMCT's default cosine-similarity
    std::optional<double> similarity;            ///< a metric value that is good enough (HMCT: 0.995)

    AMCT_DECL bool operator==(const modelwise_search_config& o) const;
};

/// model_config.layerwise_search: the most sensitive layers get their own method (and `qtype`).
struct layerwise_search_config
{
    amct::metric metric = amct::metric::cosine;  ///< HMCT's default cosine-similarity
    std::optional<int> topk;                     ///< >= 1; unset: HMCT takes the layers under cosine 0.999
    std::optional<amct::qtype> qtype;            ///< the precision of the chosen layers (HMCT: int16)

    AMCT_DECL bool operator==(const layerwise_search_config& o) const;
};

/// model_config.weight.bias_correction.
struct bias_correction_config
{
    int num_sample = 1;                          ///< >= 1 calibration samples (HMCT's default 1)
    amct::metric metric = amct::metric::cosine;  ///< HMCT's default cosine-similarity

    AMCT_DECL bool operator==(const bias_correction_config& o) const;
};

/// @brief HMCT's quant_config: the parts amct implements. Op types and node names keep the file's order.
struct precision_config
{
    std::optional<amct::qtype> all_node_type;                      ///< model_config.all_node_type
    std::optional<modelwise_search_config> modelwise_search;       ///< model_config.modelwise_search
    std::optional<layerwise_search_config> layerwise_search;       ///< model_config.layerwise_search
    std::optional<bias_correction_config> bias_correction;         ///< model_config.weight.bias_correction
    std::vector<std::pair<std::string, amct::qtype>> op_config;    ///< op type -> qtype
    std::vector<std::pair<std::string, amct::qtype>> node_config;  ///< node (layer) name -> qtype

    AMCT_DECL bool operator==(const precision_config& o) const;
};

/// Layer name -> qtype.
using qtype_map = std::map<std::string, qtype>;

/// @brief Reads HMCT quant_config text. @throws config_error listing every problem (syntax, unknown or
/// unsupported keys, bad values, repeated keys) as file:line:column diagnostics.
AMCT_DECL precision_config read_precision_config(const std::string& text,
                                                 const std::string& file = "quant_config.json");

/// @brief Reads quant_config text for the model's `layers`: also node_config names that are not layers,
/// op_config types no layer has, and int16 asked by name or type for a type without 16-bit activations.
/// @throws config_error as above.
AMCT_DECL precision_config read_precision_config(const std::string& text,
                                                 const std::string& file,
                                                 const std::vector<layer_info>& layers);

/// @brief Reads a quant_config file. @throws config_error (also when the file cannot be read).
AMCT_DECL precision_config load_precision_config(const std::string& path);

/// @brief Reads a quant_config file for the model's `layers`. @throws config_error.
AMCT_DECL precision_config load_precision_config(const std::string& path,
                                                 const std::vector<layer_info>& layers);

/// @brief Each layer's qtype: node_config by name, else op_config by type, else model_config.all_node_type,
/// else int8. all_node_type int16 leaves types without 16-bit activations (pooling, Conv3d, the types amct
/// does not quantize) at int8. `notes`, when given, receives the deciding rule of each layer.
/// @throws config_error naming by JSON path unknown node names and op types, and int16 asked by name or
/// type for a type without 16-bit activations.
AMCT_DECL qtype_map resolve_qtypes(const precision_config& cfg,
                                   const std::vector<layer_info>& layers,
                                   std::vector<resolution_note>* notes = nullptr);

/// @brief Carries `qtypes` into AMCT's configuration: a layer of `cfg` at int8 or int16 gets
/// activation_quant_params.num_bits 8 or 16 (its calibration runs at that width; weights stay 8-bit, the
/// only ARQ width above 7); at float16 or float32 it gets quant_enable false (the runtime then rounds a
/// float16 layer's inputs and weights with round_to_float16). A layer already disabled stays disabled;
/// layers missing from `qtypes` keep their settings. check_config reports int16 on a type that cannot take
/// it.
AMCT_DECL void apply_qtypes(quant_config& cfg, const qtype_map& qtypes);

/// Boost.JSON conversion (value_from): HMCT's layout; unset fields are left out.
AMCT_DECL void tag_invoke(const boost::json::value_from_tag&,
                          boost::json::value& jv,
                          const precision_config& c);

/// Boost.JSON conversion (value_to): the rules of read_precision_config; @throws config_error naming JSON
/// paths.
AMCT_DECL precision_config tag_invoke(const boost::json::value_to_tag<precision_config>&,
                                      const boost::json::value& jv);

/// @brief The quant_config text of `c` (4-space indentation, as write_config_json lays out config.json).
AMCT_DECL std::string write_precision_config(const precision_config& c);

/// @brief The quant_config that gives each layer of `qtypes` its qtype (what a tuner writes): the most
/// common qtype as model_config.all_node_type (left out when it is int8; int8 wins ties), every other layer
/// by node_config. The other sections of `base` are kept; its op_config and node_config are replaced.
AMCT_DECL precision_config with_qtypes(precision_config base, const qtype_map& qtypes);
}  // namespace AMCT_ABI
}  // namespace amct

#if AMCT_HEADER_ONLY || defined(AMCT_SOURCE)
#include <amct/analysis/impl/precision_config.ipp>
#endif
