; Inno Setup script: the Windows installer for the one-folder bundle built by
;   pyinstaller --noconfirm --distpath dist packaging\oet-desktop.spec
; on Windows (see .github/workflows/installers.yml). Build with: iscc /DVersion=X.Y.Z packaging\windows\oet-desktop.iss
; Installs per user by default (no admin rights needed), adds a Start-menu entry, and uninstalls cleanly; the
; candidate's profile under %LOCALAPPDATA%\oet-desktop is never touched (erase it in the app).

#ifndef Version
  #define Version "0.0.0"
#endif

[Setup]
AppId={{6F1B7E3A-5C2D-4B8E-9A41-0E7D2C9F5B13}
AppName=OET Speaking practice
AppVersion={#Version}
AppPublisher=OET desktop team
DefaultDirName={autopf}\OET Speaking practice
DefaultGroupName=OET Speaking practice
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=oet-desktop-{#Version}-windows-x86_64-setup
Compression=lzma2/fast
SolidCompression=no
WizardStyle=modern
DisableProgramGroupPage=yes
UninstallDisplayIcon={app}\oet-desktop.exe
; Code signing: pass /Ssigntool="signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /f $p" to iscc
; with the certificate in the CI secret store; unsigned builds trigger SmartScreen warnings.

[Files]
Source: "..\..\dist\oet-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\OET Speaking practice"; Filename: "{app}\oet-desktop.exe"
Name: "{userdesktop}\OET Speaking practice"; Filename: "{app}\oet-desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\oet-desktop.exe"; Description: "Start OET Speaking practice"; Flags: nowait postinstall skipifsilent
