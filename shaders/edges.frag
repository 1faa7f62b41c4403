// vis3d edges: flat colour with a one-pixel soft rim (cheap anti-aliasing).

varying vec4 v_color;
varying float v_offset;
varying float v_half;

void main(void) {
    float cover = clamp(v_half - abs(v_offset), 0.0, 1.0);
    gl_FragColor = vec4(v_color.rgb, v_color.a * cover);
}
