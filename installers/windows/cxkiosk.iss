; Inno Setup 6 script: installs the onedir bundle `pyinstaller build.spec` made in dist\cxkiosk\.
; Build (from the repository root, on Windows):
;   iscc /DAppVersion=0.1.0 installers\windows\cxkiosk.iss    -> dist\cxkiosk-0.1.0-setup.exe
; Per-user install, no administrator rights: the program goes to %LOCALAPPDATA%\Programs\cxkiosk,
; the Start-menu entry to the user's Programs folder and, if ticked, a shortcut to the user's
; Startup folder (shell:startup; no Run registry key). The kiosk's data (settings.json,
; content.db, media\, Logs\) lives in platformdirs' user data folder for "cxkiosk" with no app
; author, %LOCALAPPDATA%\cxkiosk (cxkiosk/config.py, Paths.for_data_dir): the installer never
; writes there; the uninstaller asks whether to keep it. docs/INSTALLERS.md has the details.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "cxkiosk"
#define AppExe "cxkiosk.exe"

[Setup]
AppId={{6F1C2B1E-6A3D-4E0B-9C8E-2B7D5C1A9F42}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=cxkiosk
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SourceDir=..\..
OutputDir=dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
#ifdef Sign
; iscc /DSign "/Scxsign=signtool sign ... $f" (the workflow's signing step): setup and uninstaller signed.
SignTool=cxsign
SignedUninstaller=yes
#endif
CloseApplications=yes
; The kiosk runs for days: an install or uninstall over a running kiosk closes it first.
RestartApplications=no

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "ja"; MessagesFile: "compiler:Languages\Japanese.isl"

[Tasks]
Name: "startatlogin"; Description: "Start cxkiosk when I log in (a shortcut in my Startup folder)"; GroupDescription: "Start-up:"; Flags: unchecked

[Files]
; The whole onedir bundle: cxkiosk.exe and its _internal\ folder.
Source: "dist\cxkiosk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{userstartup}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: startatlogin

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start cxkiosk now"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; The kiosk never writes to its install folder; this only removes the folder once it is empty.
Type: dirifempty; Name: "{app}"

[Code]
const
  DataFolder = '{localappdata}\cxkiosk';

{ After the program's files are gone: ask whether the data folder goes too. The default (and a
  silent uninstall, /SILENT or /VERYSILENT) keeps it: a reinstall then finds the settings,
  content, media and logs as they were. }
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Folder: String;
begin
  if CurUninstallStep <> usPostUninstall then
    Exit;
  Folder := ExpandConstant(DataFolder);
  if not DirExists(Folder) then
    Exit;
  if UninstallSilent then
    Exit;
  if MsgBox('Keep the kiosk''s data folder?' + #13#10 + #13#10 + Folder + #13#10 + #13#10 +
            'It holds the settings, the content database, the media folder and the logs. ' +
            'Keep it to reinstall later with everything as it was; No deletes it.',
            mbConfirmation, MB_YESNO or MB_DEFBUTTON1) = IDNO then
    if not DelTree(Folder, True, True, True) then
      MsgBox('Could not delete ' + Folder + ' completely (a file is in use?); delete it by hand.',
             mbError, MB_OK);
end;
