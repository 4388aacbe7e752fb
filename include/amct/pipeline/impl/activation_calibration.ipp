// amct/pipeline/impl/activation_calibration.ipp: the definitions of
// <amct/pipeline/activation_calibration.hpp> (header-only: included by it; separate compilation: by
// <amct/src.hpp>).
#pragma once

#include <amct/pipeline/activation_calibration.hpp>

namespace amct
{
inline namespace AMCT_ABI
{
AMCT_DECL activation_calibration::activation_calibration(const std::vector<calibrated_layer>& layers,
                                                         std::size_t batches)
  : m_batches(batches)
{
    for (const auto& l : layers)
    {
        m_index.emplace(l.name, m_slots.size());
        m_names.push_back(l.name);
        m_slots.push_back(std::make_unique<slot>(l, batches));
    }
}

AMCT_DECL bool activation_calibration::observe(const std::string& layer,
                                               std::size_t batch,
                                               const float* x,
                                               const std::vector<std::size_t>& shape)
{
    slot& s = find(layer);
    if (batch >= m_batches)
    {
        return false;
    }
    check_shape(s, shape, layer, batch);
    s.observer.observe(batch, x, shape);
    s.values += detail::element_count(shape);
    return true;
}

AMCT_DECL void activation_calibration::require_complete() const
{
    const std::string m = missing();
    if (!m.empty())
    {
        detail::throw_error<value_error>("calibration is incomplete (" + std::to_string(m_batches)
                                         + " batches per layer): " + m);
    }
}

AMCT_DECL std::vector<std::size_t> activation_calibration::largest_first() const
{
    std::vector<std::size_t> order(m_slots.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(),
                     order.end(),
                     [&](std::size_t a, std::size_t b)
                     {
                         return m_slots[a]->values > m_slots[b]->values;
                     });
    return order;
}

AMCT_DECL std::vector<calibration_result> activation_calibration::compute(const executor& exec) const
{
    require_complete();
    std::vector<calibration_result> out(m_slots.size());
    detail::run_tasks(exec,
                      largest_first(),
                      [&](std::size_t i)
                      {
                          out[i] = m_slots[i]->observer.compute();
                      });
    return out;
}

AMCT_DECL std::vector<std::string> activation_calibration::save(const executor& exec) const
{
    std::vector<std::string> out(m_slots.size());
    detail::run_tasks(exec,
                      m_slots.size(),
                      [&](std::size_t i)
                      {
                          out[i] = m_slots[i]->observer.save();
                      });
    return out;
}

AMCT_DECL indexed_observer activation_calibration::load(std::size_t i, const std::string& bytes) const
{
    const slot& s = *m_slots[i];
    indexed_observer obs = indexed_observer::load(bytes);
    if (obs.layer() != s.observer.layer() || obs.algorithm() != s.observer.algorithm()
        || obs.batches() != m_batches)
    {
        state_reader::fail("layer \"" + s.observer.layer() + "\": inconsistent observer state");
    }
    return obs;
}

AMCT_DECL void activation_calibration::restore(std::vector<indexed_observer> loaded)
{
    for (std::size_t i = 0; i < m_slots.size(); ++i)
    {
        m_slots[i]->observer = std::move(loaded[i]);
    }
}

AMCT_DECL void activation_calibration::merge(const std::vector<indexed_observer>& other, const executor& exec)
{
    for (std::size_t i = 0; i < m_slots.size(); ++i)
    {
        m_slots[i]->observer.check_merge(other[i]);
    }
    detail::run_tasks(exec,
                      m_slots.size(),
                      [&](std::size_t i)
                      {
                          m_slots[i]->observer.merge(other[i]);
                      });
}

AMCT_DECL std::string activation_calibration::take_batch_ranges()
{
    std::vector<std::pair<const slot*, std::vector<batch_range>>> found;
    for (const auto& s : m_slots)
    {
        std::vector<batch_range> r = s->observer.take_ranges();
        if (!r.empty())
        {
            found.emplace_back(s.get(), std::move(r));
        }
    }
    if (found.empty())
    {
        return {};
    }
    state_writer w;
    w.u64(found.size());
    for (const auto& [s, ranges] : found)
    {
        w.str(s->observer.layer());
        w.u64(ranges.size());
        for (const batch_range& r : ranges)
        {
            w.u64(r.index);
            w.f32(r.min);
            w.f32(r.max);
        }
    }
    return w.finish(ranges_name, ranges_version);
}

AMCT_DECL void activation_calibration::add_batch_ranges(const std::string& bytes)
{
    if (bytes.empty())
    {
        return;
    }
    state_reader r(bytes, ranges_name, ranges_version);
    std::vector<std::pair<slot*, std::vector<batch_range>>> found;
    for (std::size_t n = r.count(16); n > 0; --n)
    {
        const std::string name = r.str();
        const auto it = m_index.find(name);
        if (it == m_index.end())
        {
            state_reader::fail("batch ranges of layer \"" + name
                               + "\", which this session does not calibrate");
        }
        std::vector<batch_range> ranges(r.count(16));
        for (auto& b : ranges)
        {
            b.index = static_cast<std::size_t>(r.u64());
            b.min = r.f32();
            b.max = r.f32();
        }
        found.emplace_back(m_slots[it->second].get(), std::move(ranges));
    }
    r.done();
    for (const auto& [s, ranges] : found)
    {
        s->observer.check_ranges(ranges);
    }
    for (const auto& [s, ranges] : found)
    {
        s->observer.add_ranges(ranges);
    }
}

AMCT_DECL activation_calibration::slot& activation_calibration::find(const std::string& layer)
{
    const auto it = m_index.find(layer);
    if (it == m_index.end())
    {
        detail::throw_error<value_error>("layer \"" + layer + "\" is not calibrated in this session");
    }
    return *m_slots[it->second];
}

AMCT_DECL void activation_calibration::check_shape(const slot& s,
                                                   const std::vector<std::size_t>& shape,
                                                   const std::string& layer,
                                                   std::size_t batch)
{
    const std::vector<std::size_t>& want = s.input_shape;
    bool same = want.empty() || want.size() == shape.size();
    for (std::size_t d = 0; same && !want.empty() && d < want.size(); ++d)
    {
        same = want[d] == 0 || want[d] == shape[d];
    }
    if (shape.empty() || detail::element_count(shape) == 0 || !same)
    {
        detail::throw_error<shape_error>(
          "layer \"" + layer + "\", batch " + std::to_string(batch) + ": shape " + detail::shape_string(shape)
          + (same ? " holds no data" : " is not the layer's input shape " + detail::shape_string(want))
          + "; the batch was not observed");
    }
}

AMCT_DECL std::string activation_calibration::missing() const
{
    std::string m;
    for (const auto& s : m_slots)
    {
        const std::size_t seen = s->observer.observed();
        if (seen < m_batches)
        {
            m += (m.empty() ? "" : ", ") + ("\"" + s->observer.layer() + "\" has " + std::to_string(seen));
        }
    }
    return m;
}

AMCT_DECL bool calibration_feed::wants_input(const std::string& layer) const
{
    for (const auto* c : m_calibrations)
    {
        if (c->wants(layer))
        {
            return true;
        }
    }
    return false;
}

AMCT_DECL void calibration_feed::input(const std::string& layer,
                                       float* data,
                                       const std::vector<std::size_t>& shape)
{
    for (auto* c : m_calibrations)
    {
        if (c->wants(layer))
        {
            c->observe(layer, m_batch, data, shape);
        }
    }
}
}  // namespace AMCT_ABI
}  // namespace amct
