// vis3d edges: each edge is a quad of 4 vertices (pre-expanded on the CPU, so no
// instancing is needed). Both ends are projected here and the quad is widened
// across the projected segment to a width given in framebuffer PIXELS.

uniform vec2 u_viewport;       // framebuffer size of the render target in pixels

attribute vec3 a_start;
attribute vec3 a_end;
attribute float a_width;       // pixels
attribute vec4 a_color;
attribute vec2 a_corner;       // x: 0 at start, 1 at end; y: -1 / +1 side

varying vec4 v_color;
varying float v_offset;        // signed distance from the centre line, pixels
varying float v_half;          // half of the drawn width, pixels

void main(void) {
    vec4 s = $transform(vec4(a_start, 1.0));
    vec4 e = $transform(vec4(a_end, 1.0));
    if (s.w <= 0.0 || e.w <= 0.0) {            // an end behind the camera: skip the edge
        gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
        v_color = vec4(0.0);
        v_offset = 0.0;
        v_half = 1.0;
        return;
    }
    vec2 half_vp = 0.5 * u_viewport;
    vec2 d = (e.xy / e.w - s.xy / s.w) * half_vp;   // segment in pixels
    float len = length(d);
    vec2 dir = len > 1e-4 ? d / len : vec2(1.0, 0.0);
    vec2 nrm = vec2(-dir.y, dir.x);
    // Edges thinner than a pixel keep one pixel and fade instead; +1 px for the soft rim.
    float w = max(a_width, 1.0);
    float half_w = 0.5 * w + 0.5;
    vec4 p = a_corner.x < 0.5 ? s : e;
    p.xy += nrm * (a_corner.y * half_w) / half_vp * p.w;
    gl_Position = p;
    v_color = vec4(a_color.rgb, a_color.a * min(a_width, 1.0));
    v_offset = a_corner.y * half_w;
    v_half = half_w;
}
